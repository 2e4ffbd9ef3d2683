"""The exceptions a job task raises to say how its failure should be handled."""

from __future__ import annotations


class TransientError(Exception):
    """A failure that may go away on its own (a busy service, a dropped connection): retry later."""


class PermanentError(Exception):
    """A failure that retrying cannot fix (bad input, a missing model): fail the job at once.

    It wins over the transient list: a ``PermanentError`` that also subclasses, say,
    ``ConnectionError`` is still never retried.
    """


class JobCancelled(Exception):
    """Raised inside a task when its job was asked to stop; the task ends it as CANCELLED."""


class JobAlreadyFailed(Exception):
    """A delivery for a job that is FAILED (earlier, or just now after too many redeliveries).

    Raised rather than returned so that Celery records the task as failed, like the job row.
    """


class JobNotFound(LookupError):
    """A task was delivered for a job id that has no row: it was sent without ``submit``."""
