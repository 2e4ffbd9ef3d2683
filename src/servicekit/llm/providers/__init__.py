"""One module per provider family; each turns the kit's request into its SDK's call and back."""
