"""The worker side of jobs: every state change, synchronous, each in its own short transaction.

Celery workers are synchronous, so this side uses the database's psycopg engine. Each change
commits at once: the web app must see RUNNING and progress while the task is still working, and
a worker killed mid-task must leave behind only committed states.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Generic

from sqlalchemy import ColumnElement, Update, func, select

from servicekit.db import Database
from servicekit.jobs import queries
from servicekit.jobs.errors import JobNotFound
from servicekit.jobs.models import JobStatus
from servicekit.jobs.queries import JobT


class JobStore(Generic[JobT]):
    """The jobs of one service, in ``model``'s table of ``db``."""

    def __init__(self, db: Database, model: type[JobT]) -> None:
        self.db = db
        self.model = model
        # A prefork pool child inherits the parent's pooled connections; two processes speaking
        # on one socket corrupt both streams. The child drops (without closing) what it inherited.
        os.register_at_fork(after_in_child=self._forget_inherited_connections)

    def _forget_inherited_connections(self) -> None:
        self.db.sync_engine.dispose(close=False)

    def get(self, job_id: uuid.UUID) -> JobT | None:
        with self.db.sync_session() as session:
            return session.get(self.model, job_id)

    def mark_running(self, job_id: uuid.UUID, *, retries: int, max_redeliveries: int) -> JobT:
        """Begin an attempt (RUNNING, ``attempts`` + 1) unless the job must not run; the row.

        The task runs its work only if the row comes back RUNNING. It does not when the job is
        finished (this delivery is a duplicate of committed work), when a cancel was requested
        (a running job whose worker died before it could stop), or when earlier starts of this
        same message died more than ``max_redeliveries`` times: with late acks a message that
        kills its worker (out of memory, a segfault) would otherwise be redelivered forever.
        ``retries`` is Celery's retry count of the message, so that deliberate retries are not
        counted as lost starts.
        """
        now = datetime.now(UTC)
        with self.db.sync_session() as session:
            job = session.get(self.model, job_id, with_for_update=True)
            if job is None:
                raise JobNotFound(f"no {self.model.__name__} row with id {job_id}")
            if job.status.finished:
                return job
            if job.cancel_requested_at is not None:
                job.status, job.finished_at = JobStatus.CANCELLED, now
                return job
            lost_starts = job.attempts - retries
            if lost_starts > max_redeliveries:
                job.status, job.finished_at = JobStatus.FAILED, now
                job.error = (
                    f"gave up after {lost_starts} starts that never finished: the worker running "
                    f"the job died each time (killed, out of memory, or crashed)"
                )
                return job
            job.status, job.started_at = JobStatus.RUNNING, now
            job.attempts += 1
            return job

    def set_progress(self, job_id: uuid.UUID, fraction: float, message: str | None = None) -> bool:
        """Record progress (clamped to 0..1); True when the task should stop now.

        That is when a cancel was requested, or when the job is no longer RUNNING at all.
        """
        with self.db.sync_session() as session:
            row = session.execute(queries.set_progress(self.model, job_id, fraction, message))
            found = row.one_or_none()
        return found is None or found[0] is not None

    def should_stop(self, job_id: uuid.UUID) -> bool:
        """True when a cancel was requested or the job is no longer RUNNING (no write)."""
        with self.db.sync_session() as session:
            row = session.execute(
                select(self.model.status, self.model.cancel_requested_at).where(
                    self.model.id == job_id
                )
            ).one_or_none()
        return row is None or row.status is not JobStatus.RUNNING or row[1] is not None

    def finish(self, job_id: uuid.UUID, result: Any) -> bool:
        """SUCCEEDED with ``result`` (JSON); False if the job was not RUNNING any more."""
        return self._apply(queries.finish(self.model, job_id, result))

    def fail(self, job_id: uuid.UUID, error: str) -> bool:
        return self._apply(queries.fail(self.model, job_id, error))

    def mark_cancelled(self, job_id: uuid.UUID) -> bool:
        return self._apply(queries.mark_cancelled(self.model, job_id))

    def schedule_retry(self, job_id: uuid.UUID, error: str, message: str) -> bool:
        return self._apply(queries.schedule_retry(self.model, job_id, error, message))

    def request_cancel(self, job_id: uuid.UUID, *where: ColumnElement[bool]) -> JobT | None:
        """Mark a cancel request (see :func:`queries.request_cancel`); no Celery revoke here.

        :meth:`JobService.cancel <servicekit.jobs.service.JobService.cancel>` also revokes the
        message; this form is for code that has no broker at hand (a CLI, a migration).
        """
        with self.db.sync_session() as session:
            return session.scalars(queries.request_cancel(self.model, job_id, *where)).first()

    def _apply(self, statement: Update) -> bool:
        with self.db.sync_session() as session:
            return session.execute(statement).rowcount > 0

    @contextmanager
    def lease(self, job_id: uuid.UUID) -> Iterator[bool]:
        """Hold a PostgreSQL advisory lock on the job while its work runs; yields whether we got it.

        Redis redelivers a message whose visibility timeout ran out even if its worker is alive
        and busy, so two workers can hold the same job. The lock lets only one of them work.
        It lives on its own connection, which PostgreSQL closes (releasing the lock) the moment
        a killed worker's socket goes away, so a dead holder never blocks the redelivered task.
        """
        key = int.from_bytes(job_id.bytes[:8], "big", signed=True)
        with self.db.sync_engine.connect() as conn:
            # Autocommit: a session-level lock needs no transaction, and an idle open one
            # for the whole length of the task would hold back vacuum.
            conn.execution_options(isolation_level="AUTOCOMMIT")
            held = bool(conn.scalar(select(func.pg_try_advisory_lock(key))))
            try:
                yield held
            finally:
                if held:
                    try:
                        conn.scalar(select(func.pg_advisory_unlock(key)))
                    except Exception:
                        # Never hand a connection that may still hold the lock back to the pool.
                        conn.invalidate()
                        raise
