"""Webhooks delivered to a real local HTTP receiver that checks every signature; the retry
schedule, failing and disabled states, ownership."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from phiacta.config import Settings
from phiacta.main import build_app
from phiacta.webhooks.dispatcher import WebhookDispatcher
from servicekit.testing.app import app_client
from servicekit.testing.server import serve_in_thread

SECRET = "a-webhook-secret-of-some-length"
OPERATOR_SCOPES = ["claims:write", "webhooks:manage"]
KeyFor = Callable[..., Awaitable[dict[str, str]]]


class Receiver:
    """Records what arrives; answers ``status`` (so tests can make it fail)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        self.probe: Callable[[], Any] | None = None
        """Run while a delivery is being received (in the receiver's own thread)."""
        self.probed: list[Any] = []

    async def hook(self, request: Request) -> JSONResponse:
        if self.probe is not None:
            self.probed.append(self.probe())
        body = await request.body()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.received.append(
            {
                "valid": hmac.compare_digest(expected, request.headers["x-signature"]),
                "headers": dict(request.headers),
                "body": json.loads(body),
            }
        )
        return JSONResponse({}, status_code=self.status)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    target = Receiver()
    app = Starlette(routes=[Route("/hook", target.hook, methods=["POST"])])
    with serve_in_thread(app) as url:
        yield target, f"{url}/hook"


@pytest.fixture(scope="module")
async def setup(
    make_database: Callable[[str], str], key_for: KeyFor
) -> AsyncIterator[tuple[httpx.AsyncClient, Any, dict[str, str]]]:
    settings = Settings(
        _env_file=None,
        database_url=make_database("phiacta"),
        environment="development",
        api_key_salt="pepper",
        webhook_delivery=False,  # the tests drive the dispatcher step by step
    )
    app = build_app(settings)
    async with app_client(app) as client:
        runtime = app.state.phiacta
        headers = await key_for(runtime, OPERATOR_SCOPES, "ops")
        await client.post("/v1/namespaces", json={"name": "biology"}, headers=headers)
        await client.post("/v1/namespaces", json={"name": "physics"}, headers=headers)
        yield client, runtime, headers


async def _webhook(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> str:
    """A webhook for every ``claim_created`` event; its id."""
    body = {"url": url, "event_types": ["claim_created"], "secret": SECRET}
    response = await client.post("/v1/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["webhook_id"])


async def _claim(client: httpx.AsyncClient, headers: dict[str, str], ns: str) -> str:
    body = {"content": f"a claim in {ns}", "claim_type": "assertion", "namespace": ns}
    response = await client.post("/v1/claims", json=body, headers=headers)
    assert response.status_code == 201
    return str(response.json()["id"])


async def test_matching_events_arrive_signed(
    setup: tuple[httpx.AsyncClient, Any, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    client, runtime, headers = setup
    target, url = receiver
    target.received.clear()
    created = await client.post(
        "/v1/webhooks",
        json={"url": url, "event_types": ["claim_created"], "secret": SECRET,
              "filters": {"namespace_prefix": "biology"}},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201
    webhook_id = created.json()["webhook_id"]
    dispatcher: WebhookDispatcher = runtime.webhooks
    await dispatcher.fan_out()  # skip whatever happened before
    claim_id = await _claim(client, headers, "biology")
    await _claim(client, headers, "physics")  # filtered out
    assert await dispatcher.fan_out() == 1
    assert await dispatcher.deliver_due() == 1
    (arrived,) = target.received
    assert arrived["valid"]
    assert arrived["body"]["event_type"] == "claim_created"
    assert arrived["body"]["data"]["claim_id"] == claim_id
    assert arrived["headers"]["x-webhook-id"] == webhook_id
    assert arrived["headers"]["x-event-id"] == str(arrived["body"]["event_id"])
    deliveries = (await client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=headers)).json()
    assert [(d["status"], d["attempts"]) for d in deliveries] == [("succeeded", 1)]
    tested = (await client.post(f"/v1/webhooks/{webhook_id}/test", headers=headers)).json()
    assert tested == {"delivered": True, "status_code": 200, "error": None}
    assert target.received[-1]["valid"]
    await client.delete(f"/v1/webhooks/{webhook_id}", headers=headers)


async def test_no_transaction_is_open_while_a_webhook_is_posted(
    setup: tuple[httpx.AsyncClient, Any, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    client, runtime, headers = setup
    target, url = receiver
    sync_url = make_url(runtime.settings.database_url).set(drivername="postgresql+psycopg")
    engine = create_engine(sync_url, poolclass=NullPool)

    def database_state() -> tuple[int, bool]:
        """Open transactions of other sessions, and whether the deliveries can be locked."""
        with engine.connect() as conn:
            open_transactions = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )
            try:
                conn.execute(text("SELECT id FROM webhook_deliveries FOR UPDATE NOWAIT")).all()
                lockable = True
            except DBAPIError:
                lockable = False
            return int(open_transactions or 0), lockable

    webhook_id = await _webhook(client, headers, url)
    dispatcher: WebhookDispatcher = runtime.webhooks
    await dispatcher.fan_out()
    await _claim(client, headers, "biology")
    await _claim(client, headers, "physics")
    assert await dispatcher.fan_out() == 2
    target.probe, target.probed = database_state, []
    try:
        assert await dispatcher.deliver_due() == 2
        assert target.probed == [(0, True), (0, True)]
        deliveries = await client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=headers)
        # The outcomes were recorded after the POSTs, in a transaction of their own.
        assert [(d["status"], d["attempts"]) for d in deliveries.json()] == [("succeeded", 1)] * 2
    finally:
        target.probe = None
        engine.dispose()
        await client.delete(f"/v1/webhooks/{webhook_id}", headers=headers)


async def test_retries_then_failing_then_disabled(
    setup: tuple[httpx.AsyncClient, Any, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    client, runtime, headers = setup
    target, url = receiver
    target.status = 500
    now = [datetime.now(UTC)]
    dispatcher = WebhookDispatcher(
        runtime.db, runtime.settings.outbound_policy, clock=lambda: now[0]
    )
    try:
        webhook_id = await _webhook(client, headers, url)
        await dispatcher.fan_out()
        await _claim(client, headers, "biology")
        await dispatcher.fan_out()
        # Attempts at 0 s, +30 s, +2 min, +10 min, +1 h: nothing is due in between.
        for wait in (0, 30, 120, 600, 3600):
            now[0] += timedelta(seconds=wait)
            assert await dispatcher.deliver_due() == 1
            assert await dispatcher.deliver_due() == 0
        (delivery,) = (
            await client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=headers)
        ).json()
        assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
            "failed", 5, 500,
        )  # fmt: skip
        hook = (await client.get(f"/v1/webhooks/{webhook_id}", headers=headers)).json()
        assert hook["status"] == "failing"
        # Still failing a day later: disabled.
        now[0] += timedelta(hours=25)
        await _claim(client, headers, "biology")
        await dispatcher.fan_out()
        for wait in (0, 30, 120, 600, 3600):
            now[0] += timedelta(seconds=wait)
            await dispatcher.deliver_due()
        hook = (await client.get(f"/v1/webhooks/{webhook_id}", headers=headers)).json()
        assert hook["status"] == "disabled"
        revived = await client.patch(
            f"/v1/webhooks/{webhook_id}", json={"status": "active"}, headers=headers
        )
        assert revived.json()["status"] == "active"
    finally:
        target.status = 200
        await dispatcher.aclose()


async def test_webhooks_belong_to_their_owner(
    setup: tuple[httpx.AsyncClient, Any, dict[str, str]],
    receiver: tuple[Receiver, str],
    key_for: KeyFor,
) -> None:
    client, runtime, headers = setup
    _, url = receiver
    stranger = await key_for(runtime, ["webhooks:manage"], "other")
    webhook_id = await _webhook(client, headers, url)
    assert (await client.get(f"/v1/webhooks/{webhook_id}", headers=stranger)).status_code == 404
    assert (await client.get("/v1/webhooks", headers=stranger)).json() == []
    short = await client.post(
        "/v1/webhooks", json={"url": url, "event_types": ["claim_created"], "secret": "x"},
        headers=headers,
    )  # fmt: skip
    assert short.status_code == 422


async def test_production_never_calls_internal_addresses(
    setup: tuple[httpx.AsyncClient, Any, dict[str, str]],
    receiver: tuple[Receiver, str],
    key_for: KeyFor,
) -> None:
    _, runtime, _ = setup
    target, url = receiver
    port = httpx.URL(url).port
    production = Settings(
        _env_file=None,
        database_url=runtime.settings.database_url,  # migrated by the module's app
        environment="production",
        api_key_salt="pepper",
        webhook_delivery=False,
        extension_health_checks=False,
    )
    app = build_app(production)
    async with app_client(app) as client:
        # Production keys are phlive_ keys: this app's own agent.
        headers = await key_for(app.state.phiacta, OPERATOR_SCOPES, "ops")
        for internal in (url, "http://169.254.169.254/latest/meta-data", "http://localhost/x"):
            refused = await client.post(
                "/v1/webhooks",
                json={"url": internal, "event_types": ["claim_created"], "secret": SECRET},
                headers=headers,
            )
            assert refused.status_code == 422, internal
            (detail,) = refused.json()["error"]["details"]
            assert (detail["field"], detail["code"]) == ("url", "BLOCKED_URL")
        # A name passes registration, but where it leads is checked before every call: this
        # machine's own name resolves to an internal address, so nothing is sent.
        by_name = f"http://{socket.gethostname()}:{port}/hook"
        webhook_id = await _webhook(client, headers, by_name)
        dispatcher = WebhookDispatcher(runtime.db, production.outbound_policy)
        try:
            await dispatcher.fan_out()
            received = len(target.received)
            await _claim(client, headers, "biology")
            await dispatcher.fan_out()
            assert await dispatcher.deliver_due() >= 1
            assert len(target.received) == received
            (delivery,) = (
                await client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=headers)
            ).json()
            assert delivery["last_error"].startswith("not sent:")
        finally:
            await dispatcher.aclose()
            await client.delete(f"/v1/webhooks/{webhook_id}", headers=headers)
