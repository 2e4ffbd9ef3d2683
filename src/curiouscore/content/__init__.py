"""The seed challenges, one YAML file each, written for CuriousCore."""
