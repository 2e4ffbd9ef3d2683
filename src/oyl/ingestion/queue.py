"""The Celery wiring the API and the worker share: one queue, one task name.

The API sends the task by name, so it never imports the worker's code (parsers, OCR models).
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from servicekit.jobs import make_celery

QUEUE = "oyl"
INGEST_TASK = "oyl.ingest_document"


def oyl_celery(broker_url: str | None, **settings: Any) -> Celery:
    """A Celery app on Oyl's queue; ``broker_url`` None means the embedded Redis."""
    return make_celery("oyl", broker_url=broker_url, task_default_queue=QUEUE, **settings)
