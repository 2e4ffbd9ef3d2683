"""The append-only, hash-chained audit log of every write."""
