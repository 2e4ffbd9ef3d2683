"""Webhooks delivered to a real local HTTP receiver that checks every signature; the retry
schedule, failing and disabled states, ownership."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from phiacta.agents.schemas import AgentCreate
from phiacta.agents.service import create_agent
from phiacta.config import Settings
from phiacta.main import build_app
from phiacta.webhooks.dispatcher import WebhookDispatcher
from servicekit.testing.app import app_client
from servicekit.testing.server import serve_in_thread

SECRET = "a-webhook-secret-of-some-length"


class Receiver:
    """Records what arrives; answers ``status`` (so tests can make it fail)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200

    async def hook(self, request: Request) -> JSONResponse:
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
    make_database: Callable[[str], str],
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
        async with runtime.db.session() as session:
            created = await create_agent(
                session, runtime.api_keys, AgentCreate(name="ops", agent_type="pipeline",
                scopes=["claims:write", "webhooks:manage"]), None,
            )  # fmt: skip
        assert created.key is not None
        headers = {"Authorization": f"Bearer {created.key.api_key}"}
        await client.post("/v1/namespaces", json={"name": "biology"}, headers=headers)
        await client.post("/v1/namespaces", json={"name": "physics"}, headers=headers)
        yield client, runtime, headers


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


async def test_retries_then_failing_then_disabled(
    setup: tuple[httpx.AsyncClient, Any, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    client, runtime, headers = setup
    target, url = receiver
    target.status = 500
    now = [datetime.now(UTC)]
    dispatcher = WebhookDispatcher(runtime.db, clock=lambda: now[0])
    try:
        webhook_id = (
            await client.post(
                "/v1/webhooks",
                json={"url": url, "event_types": ["claim_created"], "secret": SECRET},
                headers=headers,
            )
        ).json()["webhook_id"]
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
    setup: tuple[httpx.AsyncClient, Any, dict[str, str]], receiver: tuple[Receiver, str]
) -> None:
    client, runtime, headers = setup
    _, url = receiver
    async with runtime.db.session() as session:
        other = await create_agent(
            session, runtime.api_keys,
            AgentCreate(name="other", agent_type="ai", scopes=["webhooks:manage"]), None,
        )  # fmt: skip
    assert other.key is not None
    stranger = {"Authorization": f"Bearer {other.key.api_key}"}
    webhook_id = (
        await client.post(
            "/v1/webhooks",
            json={"url": url, "event_types": ["claim_created"], "secret": SECRET},
            headers=headers,
        )
    ).json()["webhook_id"]
    assert (await client.get(f"/v1/webhooks/{webhook_id}", headers=stranger)).status_code == 404
    assert (await client.get("/v1/webhooks", headers=stranger)).json() == []
    short = await client.post(
        "/v1/webhooks", json={"url": url, "event_types": ["claim_created"], "secret": "x"},
        headers=headers,
    )  # fmt: skip
    assert short.status_code == 422
