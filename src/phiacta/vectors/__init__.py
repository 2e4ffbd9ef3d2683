"""The claims' vector index: an IVFFlat index fed inside each bundle's transaction, whose lists
are re-learned in the background as the number of vectors grows (migration 0005)."""
