"""The extension registry (spec §8.1): manifests, a key per extension with scopes derived from
its capabilities, rotation, deregistration, health."""
