"""Job tasks: one Celery task per kind of work, with the job row kept in step with the task.

A job task is durable and idempotent by construction:

- the Celery task id *is* the job id, so every delivery of the message finds the same row;
- a delivery that finds the job finished (the work was committed, then the message came back:
  a worker lost before its ack, a visibility timeout, a resend) returns without working;
- a PostgreSQL lease keeps two live deliveries of one job from working at the same time;
- transient errors are retried with exponential, jittered backoff, and anything else fails
  the job at once with its error;
- the work reports progress between units, which is also where a cancel request stops it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, NoReturn, ParamSpec, cast

from celery import Celery, Task
from celery.exceptions import Ignore, TimeLimitExceeded
from celery.utils.log import get_task_logger

from servicekit.jobs.backoff import backoff_delay
from servicekit.jobs.errors import JobAlreadyFailed, JobCancelled, PermanentError, TransientError
from servicekit.jobs.models import JobMixin, JobStatus
from servicekit.jobs.queries import JobT, describe_error
from servicekit.jobs.store import JobStore

P = ParamSpec("P")
logger = get_task_logger(__name__)

# Errors that usually mean "try again later"; a task adds its own (httpx.TransportError...).
DEFAULT_TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    TransientError,
    ConnectionError,
    TimeoutError,
)


@dataclass(frozen=True)
class JobContext(Generic[JobT]):
    """What the work function receives first: its job row, and how to report and stop."""

    job: JobT
    store: JobStore[JobT]

    @property
    def id(self) -> uuid.UUID:
        return self.job.id

    @property
    def attempt(self) -> int:
        """1 for the first start, then one more per retry or redelivery."""
        return self.job.attempts

    def progress(self, fraction: float, message: str | None = None) -> None:
        """Record progress (0..1) after a unit of work; raises JobCancelled if asked to stop.

        Call it between units, where stopping leaves nothing half done: the task then ends
        the job as CANCELLED.
        """
        if self.store.set_progress(self.id, fraction, message):
            raise JobCancelled(str(self.id))

    def check_cancelled(self) -> None:
        """Raise JobCancelled if a cancel was requested, without recording progress."""
        if self.store.should_stop(self.id):
            raise JobCancelled(str(self.id))


class JobTask(Task):  # type: ignore[misc]  # Celery's Task is untyped
    """Base class of the tasks :func:`job_task` makes; its attributes are the per-task policy."""

    store: JobStore[Any]
    transient_errors: tuple[type[BaseException], ...] = DEFAULT_TRANSIENT_ERRORS
    max_retries = 5
    retry_backoff: float = 2.0  # seconds before the first retry (jittered)
    retry_backoff_max: float = 300.0
    max_redeliveries: int = 3  # starts lost with their worker before the job is failed
    busy_retry_delay: float = 10.0  # when another worker holds the job's lease
    # Also set app-wide by make_celery; repeated so a job task stays durable in any app.
    acks_late = True
    reject_on_worker_lost = True

    def run_job(
        self, work: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        job_id = uuid.UUID(self.request.id)
        with self.store.lease(job_id) as held:
            if not held:
                self._postpone(job_id)
            job = self.store.mark_running(
                job_id, retries=self.request.retries, max_redeliveries=self.max_redeliveries
            )
            if job.status is not JobStatus.RUNNING:
                return self._already_done(job)
            try:
                result = work(JobContext(job, self.store), *args, **kwargs)
            except JobCancelled:
                self.store.mark_cancelled(job_id)
                self._report_revoked()
            except Exception as exc:
                if not self._should_retry(exc):
                    self.store.fail(job_id, describe_error(exc))
                    raise
                delay = backoff_delay(
                    self.request.retries, base=self.retry_backoff, maximum=self.retry_backoff_max
                )
                retry = self.request.retries + 1
                self.store.schedule_retry(
                    job_id,
                    describe_error(exc),
                    f"retry {retry}/{self.max_retries} in {delay:.1f} s",
                )
                failure = exc
            else:
                self.store.finish(job_id, result)
                return result
        # Outside the lease: the retried message may be picked up before this frame unwinds.
        raise self.retry(exc=failure, countdown=delay)

    def _should_retry(self, exc: Exception) -> bool:
        transient = isinstance(exc, self.transient_errors) and not isinstance(exc, PermanentError)
        return transient and self.request.retries < self.max_retries

    def _postpone(self, job_id: uuid.UUID) -> NoReturn:
        """Another live delivery is working on this job: look again later, with a copy.

        The copy (same id, same retry count) keeps the job safe if that other worker dies;
        dropping this delivery instead could lose the job, since Redis may already have moved
        the other worker's message back to the queue (that is how this duplicate was born).
        """
        logger.warning(
            "job %s is being worked on elsewhere; checking again in %s s",
            job_id,
            self.busy_retry_delay,
        )
        self.signature_from_request(countdown=self.busy_retry_delay).apply_async()
        raise Ignore()

    def _already_done(self, job: JobMixin) -> Any:
        logger.info("job %s is %s; this delivery does nothing", job.id, job.status)
        if job.status is JobStatus.SUCCEEDED:
            return job.result
        if job.status is JobStatus.CANCELLED:
            self._report_revoked()
        raise JobAlreadyFailed(job.error or "the job failed")

    def _report_revoked(self) -> NoReturn:
        """Show a cancelled job as REVOKED in Celery too, as a revoke by the worker would."""
        self.backend.mark_as_revoked(self.request.id, reason="job cancelled", request=self.request)
        raise Ignore()

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        # A hard time limit kills the pool child before run_job can write anything; Celery then
        # calls this hook in the worker's main process. Other failures are recorded already.
        if isinstance(exc, TimeLimitExceeded):
            self.store.fail(uuid.UUID(task_id), describe_error(exc))


def job_task(
    app: Celery,
    store: JobStore[Any],
    *,
    name: str | None = None,
    transient: tuple[type[BaseException], ...] = DEFAULT_TRANSIENT_ERRORS,
    max_retries: int = 5,
    retry_backoff: float = 2.0,
    retry_backoff_max: float = 300.0,
    max_redeliveries: int = 3,
    busy_retry_delay: float = 10.0,
    **options: Any,
) -> Callable[[Callable[Concatenate[JobContext[Any], P], Any]], JobTask]:
    """Register ``work(job: JobContext, *args, **kwargs) -> JSON`` as a job task of ``app``.

    Send it with :meth:`JobService.submit <servicekit.jobs.service.JobService.submit>`, which
    creates the row first and uses its id as the task id. Give ``name`` when the task is sent
    by name from code that cannot import the worker's module (the default is module.function).
    ``options`` are other Celery task options (``queue``, ``time_limit``, ``rate_limit``...).
    """

    def decorate(work: Callable[Concatenate[JobContext[Any], P], Any]) -> JobTask:
        def run(self: JobTask, *args: Any, **kwargs: Any) -> Any:
            return self.run_job(work, args, kwargs)

        run.__name__, run.__qualname__, run.__module__ = (
            work.__name__,
            work.__qualname__,
            work.__module__,
        )
        run.__doc__ = work.__doc__
        task = app.task(
            run,
            bind=True,
            base=JobTask,
            name=name or app.gen_task_name(work.__name__, work.__module__),
            store=store,
            transient_errors=tuple(transient),
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            retry_backoff_max=retry_backoff_max,
            max_redeliveries=max_redeliveries,
            busy_retry_delay=busy_retry_delay,
            **options,
        )
        return cast(JobTask, task)

    return decorate
