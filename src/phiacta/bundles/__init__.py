"""Bundles: atomic submissions of claims, edges, provenance and artifacts, with temp ids,
idempotency keys, cross-bundle pending references and near-duplicate warnings (spec §6)."""
