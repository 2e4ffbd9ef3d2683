"""ModelForge's Celery worker: ``celery -A modelforge.worker worker --loglevel=info``.

That command, with no ``-Q``, consumes the one queue the API sends to (see
:mod:`modelforge.jobs.queue`), honours job priorities, and runs the upkeep (queueing jobs the API
stored while the broker was down, deleting finished jobs older than ``JOB_RETENTION_DAYS``) on a
timer of its own: no beat process to forget. Configured by the API's variables (``DATABASE_URL``,
``REDIS_URL`` as broker, ``MODEL_STORAGE_PATH``, which API and workers must share) plus:

- ``JOB_TIME_LIMIT`` (300 s): one job's hard limit; a soft limit at 90 % fails it cleanly;
- ``JOB_VISIBILITY_TIMEOUT`` (900 s): how long Redis waits before handing a job whose worker
  vanished (killed, out of memory) to another worker; longer than any job plus its retry waits;
- ``JOB_UPKEEP_INTERVAL`` (3600 s): how often each worker runs the upkeep.
"""

from __future__ import annotations

import socket
from typing import Any

from celery import current_task
from celery.signals import worker_ready, worker_shutdown
from pydantic import Field, model_validator
from sqlalchemy.exc import OperationalError

from modelforge.config import Settings
from modelforge.inference.sessions import SessionPool
from modelforge.jobs.inference import InferenceRunner
from modelforge.jobs.queue import INFERENCE_TASK, jobs_celery
from modelforge.jobs.upkeep import UpkeepTimer, delete_expired, send_unsent
from modelforge.models import InferenceJob
from servicekit.db import Database
from servicekit.embedded import database_url
from servicekit.jobs import DEFAULT_TRANSIENT_ERRORS, JobContext, JobStore, job_task
from servicekit.logging import get_logger

log = get_logger("modelforge.worker")

# Retry waits must stay well inside the visibility timeout (a waiting retry is an unacked message).
RETRY_BACKOFF = 2.0
RETRY_BACKOFF_MAX = 60.0


class WorkerSettings(Settings):
    job_time_limit: float = Field(default=300.0, gt=0)
    job_visibility_timeout: float = Field(default=900.0, gt=0)
    job_upkeep_interval: float = Field(default=3600.0, gt=0)

    @model_validator(mode="after")
    def _visibility_covers_a_job(self) -> WorkerSettings:
        if self.job_visibility_timeout <= self.job_time_limit:
            raise ValueError("JOB_VISIBILITY_TIMEOUT must be longer than JOB_TIME_LIMIT")
        return self


settings = WorkerSettings()
db = Database(database_url("modelforge", settings.database_url))
store = JobStore(db, InferenceJob)
app = jobs_celery(
    "modelforge",
    settings.redis_url,
    visibility_timeout=settings.job_visibility_timeout,
    task_time_limit=settings.job_time_limit,
)
# One session thread per pool process: Celery's concurrency is the parallelism.
runner = InferenceRunner(db, settings.storage_path, SessionPool(max_sessions=8, workers=1))


@job_task(
    app,
    store,
    name=INFERENCE_TASK,
    transient=(*DEFAULT_TRANSIENT_ERRORS, OperationalError),
    max_retries=3,
    retry_backoff=RETRY_BACKOFF,
    retry_backoff_max=RETRY_BACKOFF_MAX,
)
def run_inference(job: JobContext[InferenceJob]) -> Any:
    worker_id = current_task.request.hostname or socket.gethostname()
    return runner.run(job, worker_id)


def upkeep() -> None:
    sent = send_unsent(db, app)
    deleted = delete_expired(db, settings.job_retention_days)
    if sent or deleted:
        log.info("job upkeep", queued=sent, deleted=deleted)


_timer = UpkeepTimer(upkeep, settings.job_upkeep_interval)


@worker_ready.connect
def _start_upkeep(**_: Any) -> None:
    _timer.start()


@worker_shutdown.connect
def _stop_upkeep(**_: Any) -> None:
    _timer.stop()
