"""Each state change of a job as one guarded SQL statement, shared by the sync and async sides.

Every statement names the states it may start from, so that a late or duplicated call (a
redelivered task, a cancel racing the end of the work) changes nothing instead of undoing a
finished job. The statements are ORM-enabled (``update(model)``) so that they work on any
service's subclass of :class:`~servicekit.jobs.models.JobMixin`.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Update, case, func, update

from servicekit.jobs.models import ACTIVE, JobMixin, JobStatus

JobT = TypeVar("JobT", bound=JobMixin)

# Errors are for people reading a job page; a multi-megabyte repr helps nobody.
MAX_ERROR_CHARS = 4000


def describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _transition(model: type[JobMixin], job_id: uuid.UUID, *states: JobStatus) -> Update:
    return (
        update(model)
        .where(model.id == job_id, model.status.in_(states))
        .execution_options(synchronize_session=False)
    )


def finish(model: type[JobMixin], job_id: uuid.UUID, result: Any) -> Update:
    return _transition(model, job_id, JobStatus.RUNNING).values(
        status=JobStatus.SUCCEEDED,
        progress=1.0,
        result=result,
        error=None,
        finished_at=func.now(),
    )


def fail(model: type[JobMixin], job_id: uuid.UUID, error: str) -> Update:
    return _transition(model, job_id, *ACTIVE).values(
        status=JobStatus.FAILED, error=error, finished_at=func.now()
    )


def mark_cancelled(model: type[JobMixin], job_id: uuid.UUID) -> Update:
    """The running task stopped on a cancel request."""
    return _transition(model, job_id, JobStatus.RUNNING).values(
        status=JobStatus.CANCELLED, finished_at=func.now()
    )


def schedule_retry(model: type[JobMixin], job_id: uuid.UUID, error: str, message: str) -> Update:
    """Back to PENDING while the retry waits: the job is not running, and may be cancelled."""
    return _transition(model, job_id, JobStatus.RUNNING).values(
        status=JobStatus.PENDING, error=error, message=message
    )


def set_progress(
    model: type[JobMixin], job_id: uuid.UUID, fraction: float, message: str | None
) -> Update:
    """Record progress; returns ``cancel_requested_at`` so one round trip also answers "stop?"."""
    values: dict[str, Any] = {"progress": min(1.0, max(0.0, fraction))}
    if message is not None:
        values["message"] = message
    return (
        _transition(model, job_id, JobStatus.RUNNING)
        .values(**values)
        .returning(model.cancel_requested_at)
    )


def request_cancel(model: type[JobT], job_id: uuid.UUID, *where: ColumnElement[bool]) -> Update:
    """Ask an active job to stop; returns the row if it was active (and visible through ``where``).

    A PENDING job is CANCELLED at once (its message will find it so and do nothing); a RUNNING
    one keeps running until its task sees ``cancel_requested_at``, because only the task knows
    where its work can stop cleanly.
    """
    pending = model.status == JobStatus.PENDING
    return (
        update(model)
        .where(model.id == job_id, model.status.in_(ACTIVE), *where)
        .values(
            cancel_requested_at=func.coalesce(model.cancel_requested_at, func.now()),
            status=case((pending, JobStatus.CANCELLED.value), else_=model.status),
            finished_at=case((pending, func.now()), else_=model.finished_at),
        )
        .returning(model)
        .execution_options(synchronize_session=False)
    )
