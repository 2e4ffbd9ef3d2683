"""Worker behaviour that needs workers of its own: priorities, and a worker killed mid-job."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest
from celery import Celery

from servicekit.testing.jobs import CeleryWorkers

from .support import Headers, ReadyModel, start_worker

ROW = [0.5, 1.0, -0.25, 2.0]


@pytest.fixture(scope="module")
async def model(people: dict[str, Headers], ready_model: ReadyModel) -> dict[str, Any]:
    return await ready_model(people["alice"], "slow-to-run")


async def submit(
    client: httpx.AsyncClient, headers: Headers, model: dict[str, Any], priority: str
) -> str:
    body = {"model_id": model["id"], "input_data": {"X": [ROW]}, "priority": priority}
    created = await client.post("/api/v1/jobs", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def wait_status(
    client: httpx.AsyncClient, headers: Headers, job_id: str, status: str, within: float = 30
) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            job = (await client.get(f"/api/v1/jobs/{job_id}", headers=headers)).json()
            if job["status"] == status:
                return job
            await asyncio.sleep(0.1)


async def test_high_priority_job_overtakes_queued_low_ones(
    celery_workers: CeleryWorkers,
    celery: Celery,
    worker_env: dict[str, str],
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    model: dict[str, Any],
) -> None:
    alice = people["alice"]
    start_worker(
        celery_workers,
        celery,
        worker_env,
        app_spec="slow_worker:app",
        extra_env={"MF_TEST_INFERENCE_SECONDS": "0.7"},
    )
    busy = await submit(client, alice, model, "normal")
    await wait_status(client, alice, busy, "running")

    # Queued behind the running job, in this order, on the one-slot worker.
    lows = [await submit(client, alice, model, "low") for _ in range(2)]
    normal = await submit(client, alice, model, "normal")
    high = await submit(client, alice, model, "high")

    done = {
        job_id: await wait_status(client, alice, job_id, "completed")
        for job_id in [*lows, normal, high]
    }
    started = sorted(done, key=lambda job_id: datetime.fromisoformat(done[job_id]["started_at"]))
    assert started == [high, normal, *lows]


async def test_job_of_a_killed_worker_is_redelivered_and_completes(
    celery_workers: CeleryWorkers,
    celery: Celery,
    worker_env: dict[str, str],
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    model: dict[str, Any],
) -> None:
    alice = people["alice"]
    doomed = start_worker(
        celery_workers,
        celery,
        worker_env,
        app_spec="slow_worker:app",
        extra_env={"MF_TEST_INFERENCE_SECONDS": "4"},
    )
    job_id = await submit(client, alice, model, "normal")
    running = await wait_status(client, alice, job_id, "running")
    assert running["worker_id"] == doomed.hostname

    doomed.kill_hard()  # kill -9 of the main process and its pool, mid-inference
    assert (await wait_status(client, alice, job_id, "running", within=1))["attempts"] == 1
    rescuer = start_worker(celery_workers, celery, worker_env)

    # Redis hands the unacknowledged message over once the visibility timeout (8 s) ran out.
    result = await client.get(f"/api/v1/jobs/{job_id}/result?wait=30", headers=alice)

    assert result.status_code == 200, result.text
    assert result.json()["status"] == "completed"
    finished = (await client.get(f"/api/v1/jobs/{job_id}", headers=alice)).json()
    assert finished["attempts"] == 2 and finished["retries"] == 1
    assert finished["worker_id"] == rescuer.hostname


async def test_cancelling_a_running_job_drops_its_result(
    celery_workers: CeleryWorkers,
    celery: Celery,
    worker_env: dict[str, str],
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    model: dict[str, Any],
) -> None:
    alice = people["alice"]
    start_worker(
        celery_workers,
        celery,
        worker_env,
        app_spec="slow_worker:app",
        extra_env={"MF_TEST_INFERENCE_SECONDS": "1.5"},
    )
    job_id = await submit(client, alice, model, "normal")
    await wait_status(client, alice, job_id, "running")

    asked = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=alice)

    assert asked.status_code == 200
    assert asked.json()["status"] == "running" and asked.json()["cancel_requested"] is True
    result = await client.get(f"/api/v1/jobs/{job_id}/result?wait=15", headers=alice)
    assert result.status_code == 200
    assert result.json()["status"] == "cancelled" and result.json()["result"] is None
