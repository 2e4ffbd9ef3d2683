"""Extension health: the backend checks each extension's ``health_check_url`` (a real local
HTTP server here); degraded after 5 failing minutes, inactive and hidden after 24 hours,
active again after one passing check; deregistered extensions are never checked."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from phiacta.extensions.monitor import HealthMonitor
from phiacta.runtime import Phiacta
from servicekit.testing.server import serve_in_thread

Headers = dict[str, str]


class Extension:
    """The extension's own server: answers its health checks with ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.checked: list[str | None] = []
        """The ``ext`` query parameter of each check, naming the extension checked."""

    async def health(self, request: Request) -> JSONResponse:
        self.checked.append(request.query_params.get("ext"))
        return JSONResponse({"status": "ok"}, status_code=self.status)


@pytest.fixture(scope="module")
def settings_overrides() -> dict[str, Any]:
    # The tests drive the checks with their own clock; the app's loop stays off.
    return {"extension_health_checks": False}


@pytest.fixture(scope="module")
def extension_server() -> Iterator[tuple[Extension, str]]:
    extension = Extension()
    app = Starlette(routes=[Route("/health", extension.health)])
    with serve_in_thread(app) as url:
        yield extension, f"{url}/health"


def _manifest(health_check_url: str) -> dict[str, Any]:
    return {
        "extension_id": f"ext-probe-{uuid.uuid4().hex[:6]}-v1",
        "name": "Probe",
        "version": "1.0.0",
        "type": "output",
        "capabilities": {"can_read": True},
        "health_check_url": health_check_url,
    }


async def _register(client: httpx.AsyncClient, admin: Headers, health_url: str) -> str:
    manifest = _manifest(health_url)
    ext = str(manifest["extension_id"])
    manifest["health_check_url"] = f"{health_url}?ext={ext}"  # names the extension checked
    registered = await client.post("/v1/extensions/register", json=manifest, headers=admin)
    assert registered.status_code == 201, registered.text
    return ext


@asynccontextmanager
async def _monitor(runtime: Phiacta, clock: Callable[[], datetime]) -> AsyncIterator[HealthMonitor]:
    monitor = HealthMonitor(runtime.db, runtime.settings.outbound_policy, clock=clock)
    try:
        yield monitor
    finally:
        await monitor.aclose()


async def _health(client: httpx.AsyncClient, admin: Headers, ext: str) -> tuple[str, int]:
    body = (await client.get(f"/v1/extensions/{ext}/health", headers=admin)).json()
    return body["status"], body["consecutive_failures"]


async def test_status_follows_the_health_checks(
    client: httpx.AsyncClient,
    admin: Headers,
    runtime: Phiacta,
    extension_server: tuple[Extension, str],
) -> None:
    server, url = extension_server
    ext = await _register(client, admin, url)
    now = [datetime.now(UTC)]
    async with _monitor(runtime, lambda: now[0]) as monitor:
        assert await monitor.check_due() == 1
        assert server.checked[-1] == ext
        assert await monitor.check_due() == 0  # checked a moment ago: not due yet
        assert await _health(client, admin, ext) == ("active", 0)

        server.status = 503
        for _ in range(6):  # six minutes of failing checks
            now[0] += timedelta(seconds=61)
            assert await monitor.check_due() == 1
        assert await _health(client, admin, ext) == ("degraded", 6)

        now[0] += timedelta(hours=24)
        await monitor.check_due()
        assert await _health(client, admin, ext) == ("inactive", 7)
        listed = (await client.get("/v1/extensions", headers=admin)).json()["extensions"]
        assert ext not in {e["extension_id"] for e in listed}  # hidden from discovery

        server.status = 200
        now[0] += timedelta(seconds=61)
        await monitor.check_due()
        assert await _health(client, admin, ext) == ("active", 0)


async def test_deregistered_extensions_are_not_checked(
    client: httpx.AsyncClient,
    admin: Headers,
    runtime: Phiacta,
    extension_server: tuple[Extension, str],
) -> None:
    server, url = extension_server
    ext = await _register(client, admin, url)
    assert (await client.delete(f"/v1/extensions/{ext}", headers=admin)).status_code == 204
    async with _monitor(runtime, lambda: datetime.now(UTC) + timedelta(days=9)) as monitor:
        await monitor.check_due()
    assert ext not in server.checked
    assert (await _health(client, admin, ext))[0] == "inactive"


async def test_a_health_check_url_on_a_database_port_is_refused(
    client: httpx.AsyncClient, admin: Headers
) -> None:
    manifest = _manifest("http://127.0.0.1:5432/health")
    refused = await client.post("/v1/extensions/register", json=manifest, headers=admin)
    assert refused.status_code == 422
    (detail,) = refused.json()["error"]["details"]
    assert (detail["field"], detail["code"]) == ("health_check_url", "BLOCKED_URL")
