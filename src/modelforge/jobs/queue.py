"""The Celery wiring the API and the worker share: one queue, one task name, priorities.

One queue only: ``celery -A modelforge.worker worker`` (the guide's command, no ``-Q``) consumes
the app's default queue, so every job it is sent is one it consumes. Upstream routed jobs to an
``inference`` queue that this command never read, so jobs stayed queued forever.

Priorities on Redis: kombu keeps one list per priority step (0, 3, 6, 9) and a worker pops them
in that order, so a *lower* number runs first. With ``worker_prefetch_multiplier=1`` and late acks
a busy worker holds only the message it runs; a high-priority job sent behind low ones is the
next one it takes.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from modelforge.models import JobPriority
from servicekit.jobs import make_celery

QUEUE = "modelforge"
INFERENCE_TASK = "modelforge.run_inference"

PRIORITY_STEPS: dict[JobPriority, int] = {
    JobPriority.high: 0,
    JobPriority.normal: 3,
    JobPriority.low: 6,
}


def jobs_celery(name: str, broker_url: str | None, **settings: Any) -> Celery:
    """A Celery app on ModelForge's queue; ``broker_url`` None means the embedded Redis."""
    return make_celery(
        name,
        broker_url=broker_url,
        task_default_queue=QUEUE,
        # A message without a priority would land in step 0, ahead of every "high" job.
        task_default_priority=PRIORITY_STEPS[JobPriority.normal],
        **settings,
    )
