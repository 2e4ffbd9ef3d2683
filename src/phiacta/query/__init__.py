"""Output queries: full-text, semantic and hybrid search, and graph traversal (spec §7)."""
