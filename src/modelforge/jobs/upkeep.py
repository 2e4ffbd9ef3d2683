"""The worker's own upkeep: send jobs the API could not queue, delete old finished jobs.

No separate beat process: the guide starts workers with ``celery -A modelforge.worker worker``
and nothing else (upstream's daily beat schedule therefore never ran). Each worker's main process
runs :class:`UpkeepTimer` instead: once when it is ready, then every ``interval`` seconds. Both
chores are safe to run from several workers at once: the sweep claims rows with one
``UPDATE ... RETURNING`` (``SKIP LOCKED``), and deleting what is already deleted does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from celery import Celery

from modelforge.jobs import repository
from modelforge.jobs.queue import INFERENCE_TASK, PRIORITY_STEPS
from servicekit.db import Database
from servicekit.logging import get_logger

log = get_logger("modelforge.jobs.upkeep")

# A job created this recently may still be in the middle of its own send by the API.
UNSENT_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 500


def delete_expired(db: Database, retention_days: int, *, now: datetime | None = None) -> int:
    """Delete jobs that finished more than ``retention_days`` ago; how many were deleted."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    with db.sync_session() as session:
        return int(session.execute(repository.expired(cutoff)).rowcount)  # type: ignore[attr-defined]


def send_unsent(db: Database, app: Celery, *, now: datetime | None = None) -> int:
    """Queue PENDING jobs that never reached the broker; how many were sent."""
    cutoff = (now or datetime.now(UTC)) - UNSENT_GRACE
    with db.sync_session() as session:
        claimed = list(session.execute(repository.claim_unsent(cutoff, SWEEP_BATCH)))
    sent = 0
    for job_id, priority in claimed:
        try:
            app.send_task(
                INFERENCE_TASK, task_id=str(job_id), priority=PRIORITY_STEPS[priority], retry=False
            )
        except Exception as exc:  # the broker is still away: give the claim back
            log.warning("could not queue a pending job", job=str(job_id), error=str(exc))
            with db.sync_session() as session:
                session.execute(repository.mark_unsent(job_id))
            continue
        sent += 1
    return sent


class UpkeepTimer:
    """Runs ``chore`` now and then every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, chore: Callable[[], None], interval: float) -> None:
        self._chore = chore
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="modelforge-upkeep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while True:
            try:
                self._chore()
            except Exception:  # a database blip must not end the upkeep for good
                log.exception("job upkeep failed; trying again at the next interval")
            if self._stop.wait(self._interval):
                return
