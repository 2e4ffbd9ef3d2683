"""The app factory: error envelope, request ids in logs, CORS, metrics, health and readiness."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel

from servicekit.app import HealthEndpoints, create_app
from servicekit.errors import NotFound
from servicekit.logging import configure_logging, get_logger


class Item(BaseModel):
    name: str
    quantity: int


def _app(**kwargs):
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def get_item(item_id: int) -> dict:
        if item_id == 0:
            raise NotFound("Item 0 does not exist", details={"item_id": 0})
        get_logger("test").info("fetched item", item_id=item_id)
        return {"id": item_id}

    @router.post("/items")
    async def create_item(item: Item) -> Item:
        return item

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    return create_app(title="t", version="1", routers=[router], **kwargs)


def _client(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_errors_share_one_envelope() -> None:
    async with _client(_app()) as client:
        missing = await client.get("/items/0")
        assert missing.status_code == 404
        body = missing.json()
        assert body["error"]["code"] == "not_found"
        assert body["error"]["message"] == body["detail"] == "Item 0 does not exist"
        assert body["error"]["details"] == {"item_id": 0}
        assert body["error"]["request_id"] == missing.headers["x-request-id"]

        unknown = await client.get("/nowhere")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"

        invalid = await client.post("/items", json={"name": "x", "quantity": "many"})
        assert invalid.status_code == 422
        error = invalid.json()["error"]
        assert error["code"] == "validation_error"
        assert "quantity" in error["message"]
        assert error["details"][0]["loc"] == ["body", "quantity"]


async def test_unhandled_errors_hide_internals_unless_asked() -> None:
    async with _client(_app()) as client:
        response = await client.get("/boom")
        assert response.status_code == 500
        error = response.json()["error"]
        assert error["code"] == "internal_error"
        assert "kaboom" not in response.text and "details" not in error
    async with _client(_app(expose_tracebacks=True)) as client:
        response = await client.get("/boom")
        assert "kaboom" in "".join(response.json()["error"]["details"]["traceback"])


async def test_request_id_is_echoed_and_on_every_log_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    try:
        async with _client(_app()) as client:
            response = await client.get("/items/7", headers={"X-Request-ID": "req-abc.123"})
        assert response.headers["x-request-id"] == "req-abc.123"
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
        ours = [line for line in lines if line.get("request_id") == "req-abc.123"]
        events = {line["event"] for line in ours}
        assert {"fetched item", "request"} <= events
        access = next(line for line in ours if line["event"] == "request")
        assert access["status"] == 200 and access["path"] == "/items/7"
        # An unsafe incoming id is replaced rather than echoed into headers and logs.
        async with _client(_app()) as client:
            response = await client.get("/items/7", headers={"X-Request-ID": "bad id\r\n"})
        assert response.headers["x-request-id"] != "bad id"
        assert len(response.headers["x-request-id"]) == 32
    finally:
        configure_logging("INFO", "console")
        logging.getLogger().setLevel(logging.WARNING)


async def test_cors_wildcard_never_allows_credentials() -> None:
    async with _client(_app(cors_origins=["*"])) as client:
        response = await client.get("/items/1", headers={"Origin": "https://evil.example"})
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    async with _client(_app(cors_origins=["https://app.example"])) as client:
        allowed = await client.get("/items/1", headers={"Origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert allowed.headers["access-control-allow-credentials"] == "true"
        denied = await client.get("/items/1", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers


async def test_metrics_count_requests_by_route_template() -> None:
    async with _client(_app()) as client:
        for item_id in (1, 2, 0):
            await client.get(f"/items/{item_id}")
        text = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/items/{item_id}",status="200"} 2.0' in text
    assert 'http_requests_total{method="GET",route="/items/{item_id}",status="404"} 1.0' in text
    assert "http_request_duration_seconds_bucket" in text


async def test_health_and_readiness_in_the_service_shape() -> None:
    state = {"db": False}

    async def health() -> dict:
        return {"status": "healthy", "version": "1"}

    async def ready() -> tuple[bool, dict]:
        return state["db"], {"database": "ok" if state["db"] else "unreachable"}

    app = _app(
        health=HealthEndpoints(
            health_path="/api/v1/health", ready_path="/api/v1/ready", health=health, ready=ready
        )
    )
    async with _client(app) as client:
        assert (await client.get("/api/v1/health")).json() == {"status": "healthy", "version": "1"}
        not_ready = await client.get("/api/v1/ready")
        assert not_ready.status_code == 503
        assert not_ready.json() == {"database": "unreachable"}
        state["db"] = True
        assert (await client.get("/api/v1/ready")).status_code == 200


async def test_settings_choose_log_format_and_tracebacks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from servicekit.config import ServiceSettings

    monkeypatch.setenv("ENVIRONMENT", "production")
    production = ServiceSettings()
    assert production.effective_log_format == "json"
    try:
        async with _client(_app(settings=production)) as client:
            response = await client.get("/boom")
        assert "details" not in response.json()["error"]
        lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
        assert any(json.loads(line)["event"] == "unhandled error" for line in lines)

        monkeypatch.setenv("ENVIRONMENT", "development")
        monkeypatch.setenv("LOG_FORMAT", "console")
        development = ServiceSettings()
        async with _client(_app(settings=development)) as client:
            response = await client.get("/boom")
        assert "kaboom" in "".join(response.json()["error"]["details"]["traceback"])
        assert not capsys.readouterr().err.lstrip().startswith("{")
    finally:
        configure_logging("INFO", "console")
        logging.getLogger().setLevel(logging.WARNING)


def test_a_started_service_spares_its_startup_objects_from_collections() -> None:
    """Once the lifespan has started, what is alive (the app, its clients, loaded models) is
    in the collector's permanent generation, so that collections no longer walk it, once per
    process; garbage made later is still collected. (A process of its own: in this one an
    earlier test's app may have frozen the heap already.)"""
    script = textwrap.dedent(
        """
        import asyncio, gc, weakref
        from servicekit.app import create_app

        async def main():
            app = create_app(title="heap", version="1")
            before = gc.get_freeze_count()
            async with app.router.lifespan_context(app):
                started = gc.get_freeze_count()
            kept = [{} for _ in range(10_000)]  # alive at the second start-up
            again = create_app(title="again", version="1")
            async with again.router.lifespan_context(again):
                restarted = gc.get_freeze_count()

            class Cycle:
                pass

            later = Cycle()
            later.me = later
            gone = weakref.ref(later)
            del later
            gc.collect()
            print(before, started, restarted, gone() is None, len(kept))

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    before, started, restarted, collected, _ = done.stdout.split()
    assert int(before) == 0 < int(started)
    assert int(restarted) < int(started) + 10_000  # the second start-up froze nothing more
    assert collected == "True"
