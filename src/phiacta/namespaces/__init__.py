"""Namespaces: the hierarchical domain scope of claims (``biology.immunology``)."""
