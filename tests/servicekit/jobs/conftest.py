"""Fixtures of the job tests: a job database, a Celery client app, and one shared real worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import create_engine, select

from servicekit.db import Database
from servicekit.embedded import sync_url
from servicekit.jobs import JobService, make_celery
from servicekit.testing.jobs import CeleryWorkers, WorkerProcess, worker_pool

from .job_models import Base, Job, WorkLog

HERE = Path(__file__).parent
TASKS = "job_tasks:app"


@pytest.fixture(scope="module")
def jobs_database_url(make_database: Callable[[str], str]) -> str:
    url = make_database("jobs")
    engine = create_engine(sync_url(url))
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def jobs_queue() -> str:
    """A queue of this module's own, so a shared or external Redis cannot mix runs."""
    return f"jobs-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def worker_env(jobs_database_url: str, redis_url: str, jobs_queue: str) -> dict[str, str]:
    return {
        "JOBS_TEST_DATABASE_URL": jobs_database_url,
        "JOBS_TEST_REDIS_URL": redis_url,
        "JOBS_TEST_QUEUE": jobs_queue,
    }


@pytest.fixture(scope="module")
def client_app(redis_url: str, jobs_queue: str) -> Celery:
    """The web app's side: it sends by task name and never imports the worker's module."""
    return make_celery("jobs_test_client", broker_url=redis_url, task_default_queue=jobs_queue)


@pytest.fixture(scope="module")
async def jobs_db(jobs_database_url: str) -> AsyncIterator[Database]:
    db = Database(jobs_database_url)
    yield db
    await db.dispose()


@pytest.fixture(scope="module")
def jobs(jobs_db: Database, client_app: Celery) -> JobService[Job]:
    return JobService(jobs_db, Job, client_app)


@pytest.fixture(scope="module")
def module_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryWorkers]:
    with worker_pool(tmp_path_factory.mktemp("celery-workers")) as workers:
        yield workers


@pytest.fixture(scope="module")
def worker(
    module_workers: CeleryWorkers, client_app: Celery, worker_env: dict[str, str], jobs_queue: str
) -> WorkerProcess:
    """One real worker (two pool processes) for the tests that need no worker of their own."""
    return module_workers.start(
        client_app, TASKS, queues=[jobs_queue], concurrency=2, env=worker_env, pythonpath=[HERE]
    )


@pytest.fixture
def work_log(jobs_db: Database) -> Callable[[uuid.UUID], Awaitable[list[str]]]:
    """``await work_log(job_id)`` -> the events the task's work recorded, in order."""

    async def events(job_id: uuid.UUID) -> list[str]:
        async with jobs_db.session() as session:
            rows = await session.scalars(
                select(WorkLog.event).where(WorkLog.job_id == job_id).order_by(WorkLog.id)
            )
            return list(rows)

    return events
