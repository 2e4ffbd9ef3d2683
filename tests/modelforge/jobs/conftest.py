"""Jobs on a real PostgreSQL and Redis, with real Celery worker processes.

Everything here is module-scoped: each test module gets its own database, app, users and model,
and the workers of one module are stopped before the next module starts (all workers consume
the one queue, so two modules' workers must never run together).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from celery import Celery
from skl2onnx import to_onnx
from sklearn.linear_model import LogisticRegression

from modelforge.config import Settings
from modelforge.jobs.router import celery_client
from modelforge.main import build_app
from servicekit.testing.app import app_client
from servicekit.testing.jobs import CeleryWorkers, worker_pool

from .support import Headers, ReadyModel

# Short limits so that a killed worker's job comes back within seconds (the default is 900 s).
WORKER_LIMITS = {
    "JOB_TIME_LIMIT": "6",
    "JOB_VISIBILITY_TIMEOUT": "8",
    "JOB_UPKEEP_INTERVAL": "1",
}


@pytest.fixture(scope="module")
def jobs_settings(
    make_database: Callable[[str], str], redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        _env_file=None,
        database_url=make_database("modelforge"),
        redis_url=redis_url,
        secret_key="modelforge-test-secret-key-0123456789",
        model_storage_path=tmp_path_factory.mktemp("models"),
    )


@pytest.fixture(scope="module")
async def client(jobs_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(build_app(jobs_settings)) as http:
        yield http


async def _sign_up(client: httpx.AsyncClient, login: str) -> Headers:
    response = await client.post(
        "/api/v1/auth/register", json={"login": login, "password": f"{login}-password-123"}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
async def people(client: httpx.AsyncClient) -> dict[str, Headers]:
    """``admin`` (the first account), ``alice`` and ``bob``."""
    return {login: await _sign_up(client, login) for login in ("admin", "alice", "bob")}


def classifier_bytes(seed: int) -> bytes:
    """A logistic regression; each seed gives different weights (uploads are deduplicated)."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(40, 4)).astype(np.float32)
    labels = (features[:, 0] + features[:, 1] > 0).astype(np.int64)
    model = LogisticRegression().fit(features, labels)
    return to_onnx(model, features[:1], options={"zipmap": False}).SerializeToString()


@pytest.fixture(scope="module")
def ready_model(client: httpx.AsyncClient) -> ReadyModel:
    """``await ready_model(headers, name)``: a validated classifier (input ``X``: float [?, 4])."""

    seeds = iter(range(1, 1000))

    async def make(headers: Headers, name: str, **extra: object) -> dict[str, Any]:
        created = await client.post(
            "/api/v1/models", json={"name": name, "version": "1.0.0", **extra}, headers=headers
        )
        assert created.status_code == 201, created.text
        model_id = created.json()["id"]
        uploaded = await client.post(
            f"/api/v1/models/{model_id}/upload",
            files={
                "file": ("model.onnx", classifier_bytes(next(seeds)), "application/octet-stream")
            },
            headers=headers,
        )
        assert uploaded.status_code == 200, uploaded.text
        validated = await client.post(f"/api/v1/models/{model_id}/validate", headers=headers)
        assert validated.status_code == 200, validated.text
        model = (await client.get(f"/api/v1/models/{model_id}", headers=headers)).json()
        assert model["status"] == "ready", model
        return model

    return make


@pytest.fixture(scope="module")
def celery(jobs_settings: Settings) -> Celery:
    """The API's own Celery client (same broker and queue as the app under test)."""
    return celery_client(jobs_settings.redis_url)


@pytest.fixture(scope="module")
def worker_env(jobs_settings: Settings) -> dict[str, str]:
    """The environment a deployed worker gets: the API's variables, nothing test-specific."""
    assert jobs_settings.database_url and jobs_settings.redis_url
    return {
        "DATABASE_URL": jobs_settings.database_url,
        "REDIS_URL": jobs_settings.redis_url,
        "MODEL_STORAGE_PATH": str(jobs_settings.storage_path),
        "ENVIRONMENT": "development",
        **WORKER_LIMITS,
    }


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryWorkers]:
    with worker_pool(tmp_path_factory.mktemp("celery-workers")) as pool:
        yield pool


@pytest.fixture
def job_url() -> Callable[[object], str]:
    def url(job_id: object, suffix: str = "") -> str:
        return f"/api/v1/jobs/{uuid.UUID(str(job_id))}{suffix}"

    return url
