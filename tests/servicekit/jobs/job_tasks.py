"""The Celery app and tasks the job tests run in real worker processes (``job_tasks:app``).

Configured from the environment the test gives the worker. The visibility timeout is short (7 s)
so that the lost-worker test takes seconds, not hours; every task here stays well under it.
"""

from __future__ import annotations

import os
import time

from job_models import Job, WorkLog

from servicekit.db import Database
from servicekit.jobs import JobContext, JobStore, TransientError, job_task, make_celery

db = Database(os.environ["JOBS_TEST_DATABASE_URL"])
store = JobStore(db, Job)
app = make_celery(
    "jobs_test",
    broker_url=os.environ["JOBS_TEST_REDIS_URL"],
    visibility_timeout=7,
    task_time_limit=6,
    task_default_queue=os.environ["JOBS_TEST_QUEUE"],
)
FAST_RETRIES = {"retry_backoff": 0.2, "retry_backoff_max": 0.5, "busy_retry_delay": 0.5}


def record(job: JobContext, event: str) -> None:
    with db.sync_session() as session:
        session.add(WorkLog(job_id=job.id, event=event, pid=os.getpid()))


@job_task(app, store, name="jobs_test.add", **FAST_RETRIES)
def add(job: JobContext, a: int, b: int) -> dict[str, int]:
    record(job, "done")
    return {"sum": a + b}


@job_task(app, store, name="jobs_test.flaky", max_retries=3, **FAST_RETRIES)
def flaky(job: JobContext, failures: int) -> dict[str, int]:
    """Fails transiently on its first ``failures`` attempts."""
    record(job, "start")
    if job.attempt <= failures:
        raise TransientError(f"service busy on attempt {job.attempt}")
    record(job, "done")
    return {"attempt": job.attempt}


@job_task(app, store, name="jobs_test.broken", **FAST_RETRIES)
def broken(job: JobContext) -> None:
    record(job, "start")
    raise ValueError("unreadable input file")


@job_task(app, store, name="jobs_test.slow", **FAST_RETRIES)
def slow(job: JobContext, seconds: float) -> dict[str, float]:
    record(job, "start")
    time.sleep(seconds)
    record(job, "done")
    return {"slept": seconds}


@job_task(app, store, name="jobs_test.units", **FAST_RETRIES)
def units(job: JobContext, count: int, pause: float) -> dict[str, int]:
    """``count`` units of work, reporting progress (and so checking for a cancel) after each."""
    record(job, "start")
    for done in range(1, count + 1):
        time.sleep(pause)
        record(job, "unit")
        job.progress(done / count, f"{done}/{count} units")
    record(job, "done")
    return {"units": count}
