"""Claims: immutable versions in lineages; create, read (any version), list, edit, retract."""
