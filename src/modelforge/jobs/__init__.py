"""Async inference jobs: the ``/jobs`` routes, the Celery wiring shared with the worker, the
inference a worker runs, and the worker's own upkeep (re-enqueueing, retention)."""
