"""Ingestion jobs (spec §3.1 ``/v1/ingest``): queued for an input extension, which pulls them,
submits the bundle, and reports completion or failure."""
