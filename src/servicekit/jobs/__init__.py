"""Background jobs: Celery on Redis, with each job's state in a row of the service's database.

- :func:`make_celery`: the app factory, with the settings that survive a killed worker;
- :class:`JobMixin` / :class:`JobStatus`: the job table a service declares;
- :func:`job_task`: registers ``work(job, *args)`` as a retrying, idempotent, cancellable task;
- :class:`JobStore`: the worker side (sync), :class:`JobService`: the web side (async);
- :func:`run_worker`, :func:`spawn_worker`, :func:`stop_worker`, :func:`stop_workers`: running
  workers.
"""

from servicekit.jobs.app import make_celery
from servicekit.jobs.backoff import backoff_delay
from servicekit.jobs.errors import (
    JobAlreadyFailed,
    JobCancelled,
    JobNotFound,
    PermanentError,
    TransientError,
)
from servicekit.jobs.models import JobMixin, JobStatus
from servicekit.jobs.service import JobService
from servicekit.jobs.store import JobStore
from servicekit.jobs.tasks import DEFAULT_TRANSIENT_ERRORS, JobContext, JobTask, job_task
from servicekit.jobs.worker import (
    kill_worker,
    run_worker,
    spawn_worker,
    stop_worker,
    stop_workers,
)

__all__ = [
    "DEFAULT_TRANSIENT_ERRORS",
    "JobAlreadyFailed",
    "JobCancelled",
    "JobContext",
    "JobMixin",
    "JobNotFound",
    "JobService",
    "JobStatus",
    "JobStore",
    "JobTask",
    "PermanentError",
    "TransientError",
    "backoff_delay",
    "job_task",
    "kill_worker",
    "make_celery",
    "run_worker",
    "spawn_worker",
    "stop_worker",
    "stop_workers",
]
