"""The model registry: records, files, validation, versions and aliases."""
