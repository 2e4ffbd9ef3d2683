"""The ``/jobs`` API end to end: real app, real worker process (started as the guide says)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from celery import Celery
from sqlalchemy import select, update

from modelforge.config import Settings
from modelforge.jobs.queue import jobs_celery
from modelforge.jobs.schemas import JobCreate
from modelforge.jobs.service import JobsService
from modelforge.models import InferenceJob, JobPriority
from modelforge.registry.access import Actor
from modelforge.registry.service import RegistryService
from servicekit.db import Database
from servicekit.jobs import JobStatus
from servicekit.testing.jobs import CeleryWorkers, WorkerProcess

from .support import Headers, ReadyModel, start_worker

ROW = [0.5, 1.0, -0.25, 2.0]
Url = Callable[..., str]


@pytest.fixture(scope="module")
async def db(jobs_settings: Settings) -> AsyncIterator[Database]:
    assert jobs_settings.database_url is not None
    database = Database(jobs_settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def models(people: dict[str, Headers], ready_model: ReadyModel) -> dict[str, Any]:
    return {
        "alice": await ready_model(people["alice"], "alice-private"),
        "bob_private": await ready_model(people["bob"], "bob-private"),
        "bob_public": await ready_model(people["bob"], "bob-public", visibility="public"),
    }


@pytest.fixture(scope="module")
def worker(workers: CeleryWorkers, celery: Celery, worker_env: dict[str, str]) -> WorkerProcess:
    return start_worker(workers, celery, worker_env)


@pytest.fixture(scope="module")
async def unsent_job(
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    models: dict[str, Any],
    db: Database,
    jobs_settings: Settings,
) -> uuid.UUID:
    """A job created while the broker was unreachable (so stored, never queued)."""
    dead_broker = jobs_celery("dead-broker", "redis://127.0.0.1:9/0")
    service = JobsService(db, RegistryService(db, jobs_settings), dead_broker)
    actor = Actor(await user_id(client, people["alice"]), is_admin=False)
    body = JobCreate(model_id=models["alice"]["id"], input_data={"X": [ROW]})
    job = await service.create(actor, body)
    assert job.celery_task_id is None
    return job.id


@pytest.fixture(scope="module")
async def cancelled_job(
    client: httpx.AsyncClient, people: dict[str, Headers], models: dict[str, Any]
) -> str:
    """A job cancelled while queued, before any worker ran: its message is still in Redis."""
    job = (await create(client, people["alice"], models["alice"], {"X": [ROW]})).json()
    cancelled = await client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=people["alice"])
    assert cancelled.json()["status"] == "cancelled"
    return str(job["id"])


async def create(
    client: httpx.AsyncClient, headers: Headers, model: dict[str, Any], inputs: Any, **extra: Any
) -> httpx.Response:
    body = {"model_id": model["id"], "input_data": inputs, **extra}
    return await client.post("/api/v1/jobs", json=body, headers=headers)


async def user_id(client: httpx.AsyncClient, headers: Headers) -> uuid.UUID:
    return uuid.UUID((await client.get("/api/v1/auth/me", headers=headers)).json()["id"])


# -- before any worker runs: jobs stay queued -------------------------------------------------


async def test_cancel_a_queued_job_and_delete_rules(
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    models: dict[str, Any],
    cancelled_job: str,
    unsent_job: uuid.UUID,
    job_url: Url,
) -> None:
    alice, bob = people["alice"], people["bob"]
    created = await create(client, alice, models["alice"], {"X": [ROW]})
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["status"] == "queued" and job["celery_task_id"] == job["id"]
    assert job["priority"] == "normal" and job["output_data"] is None

    # Still queued: not deletable; invisible to others.
    refused = await client.delete(job_url(job["id"]), headers=alice)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "job_active"
    assert (await client.post(job_url(job["id"], "/cancel"), headers=bob)).status_code == 404
    assert (await client.delete(job_url(job["id"]), headers=bob)).status_code == 404

    cancelled = await client.post(job_url(job["id"], "/cancel"), headers=alice)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["completed_at"] is not None
    again = await client.post(job_url(job["id"], "/cancel"), headers=alice)
    assert again.status_code == 400 and again.json()["error"]["code"] == "job_finished"
    result = await client.get(job_url(job["id"], "/result"), headers=alice)
    assert result.status_code == 200 and result.json()["status"] == "cancelled"

    assert (await client.delete(job_url(job["id"]), headers=alice)).status_code == 204
    assert (await client.get(job_url(job["id"]), headers=alice)).status_code == 404


async def test_create_refuses_unreadable_models_and_bad_input_before_queueing(
    client: httpx.AsyncClient, people: dict[str, Headers], models: dict[str, Any], db: Database
) -> None:
    alice = people["alice"]
    async with db.session() as session:
        before = len(list(await session.scalars(select(InferenceJob.id))))

    private = await create(client, alice, models["bob_private"], {"X": [ROW]})
    assert private.status_code == 404
    bad = await create(client, alice, models["alice"], [{"X": [ROW]}, {"X": [[1, 2]], "Y": 1}])
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["problems"] == [
        "item 1: input 'X': dimension 1 must be 4 [?, 4], got shape [1, 2]",
        "item 1: unknown input 'Y'",
    ]
    wrong_priority = await create(client, alice, models["alice"], {"X": [ROW]}, priority="urgent")
    assert wrong_priority.status_code == 422
    anonymous = await create(client, {}, models["alice"], {"X": [ROW]})
    assert anonymous.status_code == 401

    draft = await client.post(
        "/api/v1/models", json={"name": "draft", "version": "1.0.0"}, headers=alice
    )
    not_ready = await create(client, alice, draft.json(), {"X": [ROW]})
    assert not_ready.status_code == 409
    assert not_ready.json()["error"]["code"] == "model_not_ready"

    async with db.session() as session:
        assert len(list(await session.scalars(select(InferenceJob.id)))) == before


async def test_broker_down_at_create_keeps_the_job_pending(
    client: httpx.AsyncClient, people: dict[str, Headers], unsent_job: uuid.UUID, job_url: Url
) -> None:
    alice = people["alice"]
    shown = (await client.get(job_url(unsent_job), headers=alice)).json()
    assert shown["status"] == "pending" and shown["celery_task_id"] is None
    listed = (await client.get("/api/v1/jobs?status=pending", headers=alice)).json()
    assert [item["id"] for item in listed["items"]] == [str(unsent_job)]

    # Not finished: the result is 202 after the wait, and the wait is bounded.
    started = time.monotonic()
    result = await client.get(job_url(unsent_job, "/result?wait=0.6"), headers=alice)
    assert result.status_code == 202
    assert result.json() == {
        "job_id": str(unsent_job),
        "status": "pending",
        "result": None,
        "error_message": None,
        "error_traceback": None,
        "inference_time_ms": None,
        "completed_at": None,
        "message": "Job is still processing",
    }
    assert time.monotonic() - started >= 0.6
    too_long = await client.get(job_url(unsent_job, "/result?wait=31"), headers=alice)
    assert too_long.status_code == 422


# -- with a worker ----------------------------------------------------------------------------


async def test_job_completes_and_its_result_is_long_polled(
    worker: WorkerProcess,
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    models: dict[str, Any],
    job_url: Url,
) -> None:
    alice = people["alice"]
    job = (await create(client, alice, models["alice"], {"X": [ROW, ROW]})).json()

    result = await client.get(job_url(job["id"], "/result?wait=20"), headers=alice)

    assert result.status_code == 200, result.text
    body = result.json()
    assert body["status"] == "completed" and body["error_message"] is None
    assert body["result"]["label"] in ([0, 0], [1, 1])
    assert len(body["result"]["probabilities"]) == 2
    assert body["inference_time_ms"] > 0
    shown = (await client.get(job_url(job["id"]), headers=alice)).json()
    assert shown["worker_id"] == worker.hostname
    assert shown["attempts"] == 1 and shown["retries"] == 0
    assert shown["queue_time_ms"] >= 0 and shown["progress"] == 1.0
    assert shown["output_data"] == body["result"]


async def test_batch_job_on_a_public_model_of_another_user(
    worker: WorkerProcess,
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    models: dict[str, Any],
    job_url: Url,
) -> None:
    alice = people["alice"]
    created = await create(client, alice, models["bob_public"], [{"X": [ROW]}] * 3)
    assert created.status_code == 201

    result = await client.get(job_url(created.json()["id"], "/result?wait=20"), headers=alice)

    outputs = result.json()["result"]
    assert isinstance(outputs, list) and len(outputs) == 3
    assert outputs[0] == outputs[1] == outputs[2]
    assert set(outputs[0]) == {"label", "probabilities"}


async def test_worker_sends_jobs_the_api_could_not_queue_and_fails_bad_ones_at_once(
    worker: WorkerProcess,
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    models: dict[str, Any],
    db: Database,
    unsent_job: uuid.UUID,
    job_url: Url,
) -> None:
    alice, admin = people["alice"], people["admin"]
    owner = await user_id(client, alice)
    stored = unsent_job
    # A row whose input the API never checked (written before validation existed, say).
    broken = InferenceJob(
        id=uuid.uuid4(),
        kind="modelforge.run_inference",
        model_id=uuid.UUID(models["alice"]["id"]),
        owner_id=owner,
        priority=JobPriority.normal,
        input_data={"X": [["not a number", 1, 2, 3]]},
    )
    async with db.session() as session:
        session.add(broken)
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    async with db.session() as session:
        await session.execute(
            update(InferenceJob)
            .where(InferenceJob.id.in_([stored, broken.id]))
            .values(created_at=long_ago)
        )

    done = await client.get(job_url(stored, "/result?wait=25"), headers=alice)
    assert done.status_code == 200 and done.json()["status"] == "completed"
    failed = await client.get(job_url(broken.id, "/result?wait=25"), headers=alice)
    assert failed.status_code == 200
    body = failed.json()
    assert body["status"] == "failed" and body["result"] is None
    assert "input 'X'" in body["error_message"]
    assert "Traceback" in body["error_traceback"]
    shown = (await client.get(job_url(broken.id), headers=alice)).json()
    assert shown["attempts"] == 1  # a permanent error is not retried
    # Admins see the job, not the owner's traceback.
    as_admin = (await client.get(job_url(broken.id), headers=admin)).json()
    assert as_admin["error_message"] == body["error_message"]
    assert as_admin["error_traceback"] is None


async def test_list_is_scoped_filtered_and_paginated(
    client: httpx.AsyncClient, people: dict[str, Headers], models: dict[str, Any]
) -> None:
    alice, bob, admin = people["alice"], people["bob"], people["admin"]
    bobs = (await create(client, bob, models["bob_private"], {"X": [ROW]})).json()

    mine = (await client.get("/api/v1/jobs?page_size=100", headers=alice)).json()
    assert mine["total"] >= 4 and bobs["id"] not in {item["id"] for item in mine["items"]}
    everyone = (await client.get("/api/v1/jobs?page_size=100", headers=admin)).json()
    assert everyone["total"] == mine["total"] + 1
    first = (await client.get("/api/v1/jobs?page=1&page_size=2", headers=alice)).json()
    second = (await client.get("/api/v1/jobs?page=2&page_size=2", headers=alice)).json()
    assert len(first["items"]) == 2 and first["total_pages"] == -(-mine["total"] // 2)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    failed = (await client.get("/api/v1/jobs?status=failed", headers=alice)).json()
    assert failed["total"] == 1 and failed["items"][0]["status"] == "failed"
    bad_filter = await client.get("/api/v1/jobs?status=done", headers=alice)
    assert bad_filter.status_code == 422
    assert (await client.get(f"/api/v1/jobs/{bobs['id']}", headers=alice)).status_code == 404


async def test_retention_deletes_only_old_finished_jobs(
    worker: WorkerProcess,
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    models: dict[str, Any],
    db: Database,
) -> None:
    owner = await user_id(client, people["alice"])
    now = datetime.now(UTC)
    rows = {
        name: InferenceJob(
            id=uuid.uuid4(),
            kind="modelforge.run_inference",
            model_id=uuid.UUID(models["alice"]["id"]),
            owner_id=owner,
            priority=JobPriority.low,
            input_data={"X": [ROW]},
            celery_task_id="never-sent",
            status=status,
            created_at=now - timedelta(days=30),
            finished_at=finished,
        )
        for name, status, finished in [
            ("old_done", JobStatus.SUCCEEDED, now - timedelta(days=8)),
            ("old_failed", JobStatus.FAILED, now - timedelta(days=10)),
            ("recent_done", JobStatus.SUCCEEDED, now - timedelta(days=6)),
            ("old_running", JobStatus.RUNNING, None),
        ]
    }
    async with db.session() as session:
        session.add_all(rows.values())

    # The worker's own upkeep (every second here, hourly by default) applies the 7 days.
    async def remaining() -> set[str]:
        async with db.session() as session:
            ids = set(await session.scalars(select(InferenceJob.id)))
        return {name for name, row in rows.items() if row.id in ids}

    deadline = datetime.now(UTC) + timedelta(seconds=15)
    while (left := await remaining()) != {"recent_done", "old_running"}:
        assert datetime.now(UTC) < deadline, left
        await asyncio.sleep(0.2)


async def test_celery_health_is_for_admins(
    worker: WorkerProcess,
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    cancelled_job: str,
    db: Database,
) -> None:
    assert (await client.get("/api/v1/health/celery")).status_code == 401
    refused = await client.get("/api/v1/health/celery", headers=people["alice"])
    assert refused.status_code == 403

    health = await client.get("/api/v1/health/celery", headers=people["admin"])

    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "connected" and body["broker_connected"] is True, body
    assert body["error"] is None
    info = body["workers"][worker.hostname]
    assert info == {"status": "online", "concurrency": 1, "processed": info["processed"]}
    assert info["processed"] >= 3
    assert body["queues"] == [{"name": "modelforge", "messages": 0}]
    # The worker has taken the message of the job cancelled while queued, and did not run it.
    cancelled = await _row(db, cancelled_job)
    assert cancelled.status is JobStatus.CANCELLED and cancelled.attempts == 0


async def _row(db: Database, job_id: object) -> InferenceJob:
    async with db.session() as session:
        row = await session.get(InferenceJob, uuid.UUID(str(job_id)))
    assert row is not None
    return row
