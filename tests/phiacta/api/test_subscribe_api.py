"""WS /v1/subscribe over a real server: filtered live events, resume by event id, pings and
dropping silent clients, authentication and the per-key connection limit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from phiacta.agents.schemas import AgentCreate
from phiacta.agents.service import create_agent
from phiacta.config import Settings
from phiacta.main import build_app
from servicekit.testing.server import serve_in_loop


@pytest.fixture(scope="module")
async def server(make_database: Callable[[str], str]) -> AsyncIterator[dict[str, Any]]:
    settings = Settings(
        _env_file=None,
        database_url=make_database("phiacta"),
        environment="development",
        api_key_salt="pepper",
        webhook_delivery=False,
        # Short enough for the silent-client test, long enough that a subscriber busy making
        # claims on a loaded machine is not taken for a silent one.
        ws_ping_seconds=1.5,
        ws_max_connections_per_key=2,
    )
    app = build_app(settings)
    async with serve_in_loop(app) as url:
        runtime = app.state.phiacta
        keys = {}
        for name, granted in (
            ("writer", ["claims:write", "search:read"]),
            ("nosearch", ["claims:read"]),
        ):
            async with runtime.db.session() as session:
                created = await create_agent(
                    session,
                    runtime.api_keys,
                    AgentCreate(name=name, agent_type="ai", scopes=granted),
                    None,
                )
            assert created.key is not None
            keys[name] = created.key.api_key
        async with httpx.AsyncClient(base_url=url) as client:
            headers = {"Authorization": f"Bearer {keys['writer']}"}
            for ns in ("biology", "physics"):
                await client.post("/v1/namespaces", json={"name": ns}, headers=headers)
            yield {"url": url, "keys": keys, "client": client, "headers": headers}


def _ws(server: dict[str, Any], key: str, query: str = "") -> str:
    return server["url"].replace("http://", "ws://") + f"/v1/subscribe?token={key}{query}"


async def _claim(server: dict[str, Any], ns: str, content: str) -> dict[str, Any]:
    response = await server["client"].post(
        "/v1/claims",
        json={"content": content, "claim_type": "assertion", "namespace": ns},
        headers=server["headers"],
    )
    assert response.status_code == 201
    return dict(response.json())


async def _next_event(socket: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame = json.loads(await socket.recv())
            if frame.get("type") != "ping":
                return dict(frame)
            await socket.send(json.dumps({"action": "pong"}))


async def test_filtered_live_events_and_resume(server: dict[str, Any]) -> None:
    key = server["keys"]["writer"]
    async with ws_connect(_ws(server, key)) as socket:
        await socket.send(json.dumps({"action": "subscribe", "event_types": ["claim_created"],
                                      "filters": {"namespace_prefix": "biology"}}))  # fmt: skip
        await asyncio.sleep(0.1)
        await _claim(server, "physics", "not for this subscriber")
        wanted = await _claim(server, "biology", "for this subscriber")
        event = await _next_event(socket)
        assert event["event_type"] == "claim_created"
        assert event["data"]["claim_id"] == wanted["id"]
        first_id = event["event_id"]
    # Resuming from before that event replays it.
    async with ws_connect(_ws(server, key, f"&since={first_id - 1}")) as socket:
        await socket.send(json.dumps({"action": "subscribe", "event_types": ["claim_created"]}))
        assert (await _next_event(socket))["event_id"] == first_id


async def test_silent_clients_are_dropped(server: dict[str, Any]) -> None:
    async with ws_connect(_ws(server, server["keys"]["writer"])) as socket:
        await socket.send(json.dumps({"action": "subscribe"}))
        async with asyncio.timeout(10):
            assert json.loads(await socket.recv()) == {"type": "ping"}
            with pytest.raises(ConnectionClosed):
                while True:
                    await socket.recv()  # never answering


async def test_refusals(server: dict[str, Any]) -> None:
    with pytest.raises(InvalidStatus):
        async with ws_connect(_ws(server, "phtest_bad")):
            pass
    with pytest.raises(InvalidStatus):
        async with ws_connect(_ws(server, server["keys"]["nosearch"])):
            pass
    key = server["keys"]["writer"]
    async with ws_connect(_ws(server, key)), ws_connect(_ws(server, key)):
        with pytest.raises(InvalidStatus):
            async with ws_connect(_ws(server, key)):
                pass
    # Slots are freed once the server has seen the disconnects (shortly after the close).
    for _ in range(50):
        try:
            async with ws_connect(_ws(server, key)):
                break
        except InvalidStatus:
            await asyncio.sleep(0.05)
    else:
        pytest.fail("connection slots were never released")
