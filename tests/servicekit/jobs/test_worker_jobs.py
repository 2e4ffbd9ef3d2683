"""Job tasks in real Celery worker processes, on a real Redis, with job rows in PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from celery import Celery
from celery.result import AsyncResult

from servicekit.db import Database
from servicekit.jobs import JobService, JobStatus, JobStore
from servicekit.testing.jobs import FAST_START, CeleryWorkers, WorkerProcess, wait_for_job

from .job_models import Job

WorkLog = Callable[[uuid.UUID], Awaitable[list[str]]]
HERE = Path(__file__).parent


async def celery_state(app: Celery, job_id: uuid.UUID, *wanted: str) -> str:
    """Wait until Celery's result backend shows one of ``wanted`` for the job's task."""
    result = AsyncResult(str(job_id), app=app)
    async with asyncio.timeout(20):
        while True:
            state = result.state
            if state in wanted:
                return state
            await asyncio.sleep(0.1)


async def logged(worker: WorkerProcess, line: str) -> None:
    """Wait until the worker has logged ``line``."""
    async with asyncio.timeout(20):
        while True:
            if line in worker.log_tail(1_000_000):
                return
            await asyncio.sleep(0.1)


async def test_task_runs_in_a_worker_and_stores_its_result(
    worker: WorkerProcess, jobs: JobService[Job], work_log: WorkLog
) -> None:
    job = await jobs.submit("jobs_test.add", [2, 3], columns={"owner": "alice"})
    assert job.status is JobStatus.PENDING

    done = await wait_for_job(jobs, job.id, JobStatus.SUCCEEDED, JobStatus.FAILED)

    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.result == {"sum": 5}
    assert done.kind == "jobs_test.add" and done.owner == "alice"
    assert done.attempts == 1 and done.progress == 1.0 and done.error is None
    assert done.started_at is not None and done.finished_at is not None
    assert done.created_at <= done.started_at <= done.finished_at
    assert await work_log(job.id) == ["done"]


async def test_transient_failures_are_retried_until_success(
    worker: WorkerProcess, jobs: JobService[Job], work_log: WorkLog
) -> None:
    job = await jobs.submit("jobs_test.flaky", [2])

    done = await wait_for_job(jobs, job.id, JobStatus.SUCCEEDED, JobStatus.FAILED)

    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.attempts == 3
    assert done.result == {"attempt": 3}
    assert done.error is None  # the transient errors were not the outcome
    assert await work_log(job.id) == ["start", "start", "start", "done"]


async def test_transient_failures_fail_the_job_once_retries_run_out(
    worker: WorkerProcess, jobs: JobService[Job], work_log: WorkLog
) -> None:
    job = await jobs.submit("jobs_test.flaky", [10])  # the task allows 3 retries

    done = await wait_for_job(jobs, job.id, JobStatus.SUCCEEDED, JobStatus.FAILED)

    assert done.status is JobStatus.FAILED
    assert done.attempts == 4
    assert done.error == "TransientError: service busy on attempt 4"
    assert await work_log(job.id) == ["start"] * 4


async def test_permanent_failure_fails_at_once_without_retry(
    worker: WorkerProcess, jobs: JobService[Job], client_app: Celery, work_log: WorkLog
) -> None:
    job = await jobs.submit("jobs_test.broken")

    done = await wait_for_job(jobs, job.id, JobStatus.SUCCEEDED, JobStatus.FAILED)

    assert done.status is JobStatus.FAILED
    assert done.error == "ValueError: unreadable input file"
    assert done.attempts == 1
    assert await celery_state(client_app, job.id, "FAILURE") == "FAILURE"
    assert await work_log(job.id) == ["start"]


async def test_redelivered_task_of_a_finished_job_does_not_work_again(
    worker: WorkerProcess, jobs: JobService[Job], client_app: Celery, work_log: WorkLog
) -> None:
    job = await jobs.submit("jobs_test.add", [20, 22])
    done = await wait_for_job(jobs, job.id, JobStatus.SUCCEEDED)
    result = AsyncResult(str(job.id), app=client_app)
    result.forget()

    # The same message again (same task id, same arguments): what a redelivery is.
    client_app.send_task("jobs_test.add", args=[20, 22], task_id=str(job.id))

    assert await asyncio.to_thread(result.get, timeout=20) == {"sum": 42}
    again = await jobs.get(job.id)
    assert again is not None
    assert again.status is JobStatus.SUCCEEDED
    assert again.attempts == 1 and again.finished_at == done.finished_at
    assert await work_log(job.id) == ["done"]


async def test_second_live_delivery_of_a_running_job_waits_and_does_no_work(
    worker: WorkerProcess, jobs: JobService[Job], client_app: Celery, work_log: WorkLog
) -> None:
    """What Redis does when a visibility timeout runs out under a live task: a second worker
    gets the same message. The job's lease keeps the copy from working in parallel; it checks
    back later (job_tasks: every 0.5 s) and, finding the job finished, does nothing."""
    job = await jobs.submit("jobs_test.slow", [1.5])
    await wait_for_job(jobs, job.id, JobStatus.RUNNING)

    client_app.send_task("jobs_test.slow", args=[1.5], task_id=str(job.id))

    done = await wait_for_job(jobs, job.id, JobStatus.SUCCEEDED)
    await logged(worker, f"job {job.id} is SUCCEEDED; this delivery does nothing")
    assert f"job {job.id} is being worked on elsewhere" in worker.log_tail(1_000_000)
    assert done.attempts == 1
    assert await work_log(job.id) == ["start", "done"]


async def test_cancel_a_running_job_stops_it_between_units(
    worker: WorkerProcess, jobs: JobService[Job], client_app: Celery, work_log: WorkLog
) -> None:
    job = await jobs.submit("jobs_test.units", [50, 0.1])
    await wait_for_job(jobs, job.id, JobStatus.RUNNING, until=lambda row: row.progress > 0)

    requested = await jobs.cancel(job.id)

    assert requested is not None
    assert requested.status is JobStatus.RUNNING  # it stops at its next unit boundary
    assert requested.cancel_requested_at is not None
    cancelled = await wait_for_job(jobs, job.id, until=_finished)
    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.finished_at is not None and cancelled.progress < 1.0
    events = await work_log(job.id)
    assert "done" not in events and 0 < events.count("unit") < 50
    assert await celery_state(client_app, job.id, "REVOKED", "SUCCESS") == "REVOKED"


@pytest.mark.parametrize("revoke", [True, False], ids=["revoked", "row-only"])
async def test_cancelled_pending_job_never_runs(
    revoke: bool,
    worker: WorkerProcess,
    jobs: JobService[Job],
    jobs_db: Database,
    client_app: Celery,
    jobs_queue: str,
    work_log: WorkLog,
) -> None:
    """Cancelled while queued: by the service (row + revoke), or with the row alone, as when
    the revoke broadcast reached no worker (none running, or one started later)."""
    parked = f"{jobs_queue}-parked-{uuid.uuid4().hex[:6]}"  # no worker consumes it yet
    job = await jobs.submit("jobs_test.add", [1, 1], queue=parked)

    if revoke:
        cancelled = await jobs.cancel(job.id)
    else:
        cancelled = await asyncio.to_thread(JobStore(jobs_db, Job).request_cancel, job.id)

    assert cancelled is not None
    assert cancelled.status is JobStatus.CANCELLED and cancelled.finished_at is not None
    await asyncio.to_thread(
        client_app.control.add_consumer, parked, destination=[worker.hostname], reply=True
    )
    assert await celery_state(client_app, job.id, "REVOKED", "SUCCESS") == "REVOKED"
    after = await jobs.get(job.id)
    assert after is not None and after.status is JobStatus.CANCELLED and after.attempts == 0
    assert await work_log(job.id) == []


@pytest.mark.slow
async def test_task_is_not_lost_when_its_worker_is_killed(
    celery_workers: CeleryWorkers,
    client_app: Celery,
    worker_env: dict[str, str],
    jobs_queue: str,
    jobs: JobService[Job],
    work_log: WorkLog,
) -> None:
    """kill -9 of the worker's whole group mid-task: a new worker redelivers it once the
    visibility timeout (7 s in job_tasks) runs out, and it completes exactly once."""
    queue = f"{jobs_queue}-durable"
    start = {"queues": [queue], "env": worker_env, "pythonpath": [HERE]}
    first = celery_workers.start(client_app, "job_tasks:app", **start)
    job = await jobs.submit("jobs_test.slow", [3.0], queue=queue)
    await wait_for_job(jobs, job.id, JobStatus.RUNNING)

    first.kill_hard()
    killed = await jobs.get(job.id)
    assert killed is not None and killed.status is JobStatus.RUNNING
    celery_workers.start(client_app, "job_tasks:app", **start)

    done = await wait_for_job(jobs, job.id, until=_finished)
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert done.attempts == 2
    assert done.result == {"slept": 3.0}
    assert await work_log(job.id) == ["start", "start", "done"]


def _finished(job: Job) -> bool:
    return job.status.finished


@pytest.mark.slow
async def test_run_worker_serves_until_sigterm_and_lets_the_running_task_finish(
    tmp_path: Path,
    client_app: Celery,
    worker_env: dict[str, str],
    jobs_queue: str,
    jobs: JobService[Job],
    work_log: WorkLog,
) -> None:
    """What ``suite worker`` does: run_worker in the process's main thread. SIGTERM to that
    process (not its group) is a warm shutdown: the task in hand completes, then it exits 0."""
    queue = f"{jobs_queue}-in-process"
    worker = _start_in_process_worker(queue, worker_env, tmp_path / "worker.log")
    try:
        worker.wait_ready(client_app)
        job = await jobs.submit("jobs_test.slow", [1.0], queue=queue)
        await wait_for_job(jobs, job.id, JobStatus.RUNNING)

        assert await asyncio.to_thread(worker.stop) is True
        assert worker.process.returncode == 0, worker.log_tail()
    finally:
        worker.kill_hard()

    done = await jobs.get(job.id)
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.attempts == 1
    assert await work_log(job.id) == ["start", "done"]


def _start_in_process_worker(queue: str, env: dict[str, str], log_path: Path) -> WorkerProcess:
    """A process whose main thread calls run_worker, as ``suite worker`` does."""
    hostname = f"in-process-{uuid.uuid4().hex[:8]}@localhost"
    runner = (
        "from job_tasks import app\n"
        "from servicekit.jobs import run_worker\n"
        f"raise SystemExit(run_worker(app, queues=[{queue!r}], concurrency=1,"
        f" hostname={hostname!r}, extra={list(FAST_START)!r}))\n"
    )
    paths = [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", runner],
            env={**os.environ, **env, "PYTHONPATH": os.pathsep.join(paths)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return WorkerProcess(process, hostname, log_path)
