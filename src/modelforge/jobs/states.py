"""The job states users see, derived from the kit's states (pure; no IO).

The kit's row has PENDING for both "stored but never handed to the broker" (the broker was down
at create time) and "waiting in the queue". Users and the sweeper need to tell them apart, so
the API shows ``pending`` for the first (no ``celery_task_id`` yet) and ``queued`` for the
second; the other names are the spec's.
"""

from __future__ import annotations

from enum import StrEnum

from servicekit.jobs import JobStatus


class JobState(StrEnum):
    pending = "pending"
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.completed, JobState.failed, JobState.cancelled)


_FROM_KIT = {
    JobStatus.RUNNING: JobState.running,
    JobStatus.SUCCEEDED: JobState.completed,
    JobStatus.FAILED: JobState.failed,
    JobStatus.CANCELLED: JobState.cancelled,
}

TO_KIT: dict[JobState, JobStatus] = {
    JobState.pending: JobStatus.PENDING,
    JobState.queued: JobStatus.PENDING,
    **{state: status for status, state in _FROM_KIT.items()},
}


def state_of(status: JobStatus, *, enqueued: bool) -> JobState:
    if status is JobStatus.PENDING:
        return JobState.queued if enqueued else JobState.pending
    return _FROM_KIT[status]
