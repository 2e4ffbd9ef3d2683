"""Real Celery workers for tests: start one for an app module, wait until it answers, stop it.

Use the ``celery_workers`` fixture (one test) or :func:`worker_pool` (a module-scoped fixture of
your own), and :func:`wait_for_job` to wait for a job row to reach a state::

    async def test_batch(celery_workers, celery_app, jobs):
        worker = celery_workers.start(celery_app, "modelforge.worker:app", queues=["batch"])
        job = await jobs.submit(predict_batch, [model_id])
        await wait_for_job(jobs, job.id, JobStatus.SUCCEEDED)
        worker.kill_hard()  # the durability test: -9 to the whole process group
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from celery import Celery

from servicekit.jobs.models import JobStatus
from servicekit.jobs.queries import JobT
from servicekit.jobs.service import JobService
from servicekit.jobs.worker import kill_worker, spawn_worker, stop_worker

__all__ = [
    "FAST_START",
    "CeleryWorkers",
    "WorkerProcess",
    "celery_workers",
    "wait_for_job",
    "worker_pool",
]

# Mingle and gossip make a starting worker wait for its peers; tests want it up at once.
FAST_START = ("--without-mingle", "--without-gossip", "--without-heartbeat")


@dataclass
class WorkerProcess:
    """One running ``celery worker`` (main process + pool) and its log file."""

    process: subprocess.Popen[bytes]
    hostname: str
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self, timeout: float = 30.0) -> bool:
        """Warm shutdown (SIGTERM to the main process); the group is killed after ``timeout``."""
        return stop_worker(self.process, timeout=timeout)

    def wait_ready(self, app: Celery, timeout: float = 30.0) -> None:
        """Return once the worker answers a ping through ``app`` (same broker); raise if it
        exits or stays silent for ``timeout`` seconds (then it is killed), with its log."""
        deadline = time.monotonic() + timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise RuntimeError(
                    f"celery worker exited with code {code} before it was ready:\n{self.log_tail()}"
                )
            if app.control.ping(destination=[self.hostname], timeout=0.5):
                return
            if time.monotonic() > deadline:
                self.kill_hard()
                raise TimeoutError(f"celery worker not ready after {timeout} s:\n{self.log_tail()}")

    def kill_hard(self) -> None:
        """``kill -9`` the whole process group, as a crashed or evicted machine would."""
        kill_worker(self.process)


@dataclass
class CeleryWorkers:
    """Starts real worker processes and stops every one of them at the end."""

    log_dir: Path
    started: list[WorkerProcess] = field(default_factory=list)

    def start(
        self,
        app: Celery,
        app_spec: str,
        *,
        queues: Sequence[str],
        concurrency: int = 1,
        env: Mapping[str, str] | None = None,
        pythonpath: Sequence[str | Path] = (),
        ready_timeout: float = 30.0,
    ) -> WorkerProcess:
        """Start ``celery --app <app_spec> worker`` and return once it answers a ping.

        ``app``: an app on the same broker, used for the ping (and by the test to send tasks).
        ``env`` is added to this process's environment; ``pythonpath`` is prepended to
        ``PYTHONPATH`` so the worker can import a test's task module.
        """
        name = f"test-{uuid.uuid4().hex[:8]}"
        hostname = f"{name}@localhost"
        child_env = {**os.environ, **(env or {})}
        paths = [str(path) for path in pythonpath]
        if child_env.get("PYTHONPATH"):
            paths.append(child_env["PYTHONPATH"])
        if paths:
            child_env["PYTHONPATH"] = os.pathsep.join(paths)

        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            process = spawn_worker(
                app_spec,
                queues=queues,
                concurrency=concurrency,
                hostname=hostname,
                extra=FAST_START,
                env=child_env,
                output=log,
            )
        worker = WorkerProcess(process, hostname, log_path)
        self.started.append(worker)
        worker.wait_ready(app, ready_timeout)
        return worker

    def stop_all(self) -> None:
        """Stop every worker, in parallel: a warm shutdown takes a few seconds each."""
        with ThreadPoolExecutor() as pool:
            stopped = list(pool.map(WorkerProcess.stop, self.started))
        for worker, clean in zip(self.started, stopped, strict=True):
            if not clean:
                warnings.warn(
                    f"celery worker {worker.hostname} did not stop on SIGTERM and was killed",
                    stacklevel=2,
                )
        self.started.clear()


@contextmanager
def worker_pool(log_dir: Path) -> Iterator[CeleryWorkers]:
    """Workers started through the yielded object are stopped when the block ends."""
    workers = CeleryWorkers(log_dir)
    try:
        yield workers
    finally:
        workers.stop_all()


@pytest.fixture
def celery_workers(tmp_path: Path) -> Iterator[CeleryWorkers]:
    """Start real Celery workers in a test; all are stopped at teardown."""
    with worker_pool(tmp_path) as workers:
        yield workers


async def wait_for_job(
    jobs: JobService[JobT],
    job_id: uuid.UUID,
    *statuses: JobStatus,
    until: Callable[[JobT], bool] | None = None,
    within: float = 30.0,
    interval: float = 0.1,
) -> JobT:
    """Poll the job row until its status is one of ``statuses`` (and ``until`` holds); the row."""
    job: JobT | None = None
    try:
        async with asyncio.timeout(within):
            while True:
                job = await jobs.get(job_id)
                if (
                    job is not None
                    and (not statuses or job.status in statuses)
                    and (until is None or until(job))
                ):
                    return job
                await asyncio.sleep(interval)
    except TimeoutError:
        seen = "no row" if job is None else f"{job.status}, attempts={job.attempts}, {job.error=}"
        wanted = "/".join(statuses) or "the condition"
        raise AssertionError(f"job {job_id} not {wanted} after {within} s ({seen})") from None
