"""ModelForge under ``suite up``: the worker the suite starts from the spec runs the API's jobs.

The app is built by ``spec.create_app`` and the worker by the suite's own ``WorkerPool`` from
``spec.celery_app`` / ``spec.worker_queues``, both on the resources the suite hands over, with
nothing else configured (model storage in the suite's data directory, shared by both).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from modelforge.spec import spec
from servicekit.service import Resources
from servicekit.testing.app import app_client
from suite.workers import WorkerPool

from .support import Headers, ReadyModel

ROW = [0.5, 1.0, -0.25, 2.0]


@pytest.fixture(scope="module")
def resources(make_database: Callable[[str], str], redis_url: str) -> Resources:
    return Resources(database_url=make_database("modelforge"), redis_url=redis_url)


@pytest.fixture(scope="module")
async def client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    # Overrides the package fixture: the app exactly as `suite up` builds it.
    async with app_client(spec.create_app(resources)) as http:
        yield http


async def test_the_suite_worker_runs_jobs_sent_by_the_suite_app(
    resources: Resources,
    client: httpx.AsyncClient,
    people: dict[str, Headers],
    ready_model: ReadyModel,
) -> None:
    alice = people["alice"]
    model = await ready_model(alice, "suite-classifier")
    pool = WorkerPool()
    pool.start(spec, resources)
    try:
        job = {"model_id": model["id"], "input_data": {"X": [ROW]}}
        created = await client.post("/api/v1/jobs", json=job, headers=alice)
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        # The worker is still starting: long-poll until it has run the job (or 4 x 20 s).
        for _ in range(4):
            result = await client.get(f"/api/v1/jobs/{job_id}/result?wait=20", headers=alice)
            if result.status_code == 200:
                break
        assert result.status_code == 200, result.text
        assert result.json()["status"] == "completed", result.json()
        assert result.json()["result"]["label"] in ([0], [1])
        shown = (await client.get(f"/api/v1/jobs/{job_id}", headers=alice)).json()
        assert shown["worker_id"].startswith("modelforge@")
    finally:
        pool.stop()


async def test_the_suite_landing_page_links_the_dashboard(client: httpx.AsyncClient) -> None:
    entry = await client.get(spec.entry_path, follow_redirects=True)
    assert entry.status_code == 200 and "sign in" in entry.text.lower()
    reference = await client.get(spec.docs_path)
    assert reference.status_code == 200 and "swagger" in reference.text.lower()
