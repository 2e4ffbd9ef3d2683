"""The Celery app factory: Redis as broker and result store, settings that survive a lost worker.

What "survive" takes with the Redis transport (measured; see the tooling notes):

- ``task_acks_late`` + ``task_reject_on_worker_lost``: the message is acknowledged only after
  the task ends, and goes back to the queue if its pool process dies;
- ``worker_prefetch_multiplier=1``: a worker holds no more unacknowledged messages than it can
  run, so a dead worker strands as few as possible;
- ``visibility_timeout`` longer than the longest task (retry waits included): when it runs out,
  Redis hands the message to another worker, whether or not the first one is still alive;
- ``unacked_restore_interval=2``, ``unacked_restore_throttle=1``: how often workers look for such
  messages. Kombu's defaults (10 s x 10) left a killed worker's task stranded for ~100 s.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from servicekit.embedded import redis_url, redis_url_for

DEFAULT_VISIBILITY_TIMEOUT = 2 * 3600.0
DEFAULT_TIME_LIMIT = 3600.0
DEFAULT_RESULT_EXPIRES = 24 * 3600.0


def make_celery(
    name: str,
    *,
    broker_url: str | None = None,
    result_backend: str | None = None,
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT,
    task_time_limit: float | None = DEFAULT_TIME_LIMIT,
    task_soft_time_limit: float | None = None,
    result_expires: float = DEFAULT_RESULT_EXPIRES,
    **overrides: Any,
) -> Celery:
    """A Celery app named ``name`` on Redis.

    ``broker_url`` / ``result_backend``: redis-py URLs (``redis://``, ``rediss://``, ``unix://``;
    translated for kombu here). Without a broker the embedded Redis is used; without a result
    backend, the broker's Redis. ``task_soft_time_limit`` defaults to 90 % of the hard limit,
    so that a task overrunning it fails its job cleanly (``SoftTimeLimitExceeded``) before the
    hard limit kills the process. ``overrides`` are any other Celery settings (lower-case names);
    a ``broker_transport_options`` override is merged into the durable defaults, not swapped in.
    """
    if task_time_limit is not None and visibility_timeout <= task_time_limit:
        raise ValueError(
            f"visibility_timeout ({visibility_timeout} s) must be longer than task_time_limit "
            f"({task_time_limit} s): otherwise Redis redelivers a still-running task to a "
            f"second worker"
        )
    if task_soft_time_limit is None and task_time_limit is not None:
        task_soft_time_limit = 0.9 * task_time_limit

    broker = redis_url(broker_url)
    backend = result_backend or broker
    transport_options = {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": 2,
        "unacked_restore_throttle": 1,
        **overrides.pop("broker_transport_options", {}),
    }

    app = Celery(name)
    app.conf.update(
        broker_url=redis_url_for(broker, "celery"),
        result_backend=redis_url_for(backend, "celery"),
        broker_transport_options=transport_options,
        # Keep trying while Redis starts (compose, Kubernetes) instead of exiting at once.
        broker_connection_retry_on_startup=True,
        result_backend_always_retry=True,
        result_backend_max_retries=10,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Late-acked messages are redelivered after a lost broker connection, so finishing the
        # running copies as well would do the work twice.
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_time_limit=task_time_limit,
        task_soft_time_limit=task_soft_time_limit,
        task_track_started=True,
        # JSON only: a pickled message from whoever can write to Redis would run code.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        result_expires=result_expires,
    )
    app.conf.update(overrides)
    return app
