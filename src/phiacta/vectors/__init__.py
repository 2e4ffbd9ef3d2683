"""The deferred vector index: fresh claim vectors wait outside the HNSW graph (searched exactly)
until the background indexer moves them in (migration 0004)."""
