"""Predictions over HTTP: REST predict (by id or name), history with CSV export, cache metrics,
and the Open Inference Protocol v2 routes."""
