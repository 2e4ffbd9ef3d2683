"""What the Celery side looks like right now: workers, their load, the queue, the broker.

Blocking (Celery's remote control waits for replies): call it in a thread. One broadcast with a
1 s timeout answers for every worker; the queue depth is read from the broker directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from celery import Celery

from modelforge.jobs.queue import QUEUE

INSPECT_TIMEOUT = 1.0


@dataclass
class CelerySnapshot:
    broker_connected: bool
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)
    queue_messages: int | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        if not self.broker_connected or self.error is not None:
            return "error"
        return "connected" if self.workers else "no_workers"


def snapshot(app: Celery) -> CelerySnapshot:
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=INSPECT_TIMEOUT)
            # Declaring is idempotent (workers do it too) and, unlike a passive declare, also
            # answers before the first worker or job has created the queue.
            queue = connection.default_channel.queue_declare(QUEUE)
            messages = int(queue.message_count)
    except Exception as exc:  # every broker failure means the same thing here
        return CelerySnapshot(broker_connected=False, error=f"{type(exc).__name__}: {exc}")
    try:
        stats = app.control.inspect(timeout=INSPECT_TIMEOUT).stats() or {}
    except Exception as exc:
        return CelerySnapshot(True, queue_messages=messages, error=f"{type(exc).__name__}: {exc}")
    workers = {name: _worker(info) for name, info in stats.items()}
    return CelerySnapshot(True, workers=workers, queue_messages=messages)


def _worker(stats: dict[str, Any]) -> dict[str, Any]:
    pool = stats.get("pool") or {}
    concurrency = pool.get("max-concurrency")
    return {
        "status": "online",
        "concurrency": concurrency if isinstance(concurrency, int) else None,
        "processed": sum(int(count) for count in (stats.get("total") or {}).values()),
    }
