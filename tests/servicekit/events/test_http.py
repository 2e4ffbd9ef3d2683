"""The SSE and WebSocket helpers over real HTTP, served by uvicorn."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, WebSocket
from httpx_sse import ServerSentEvent, aconnect_sse
from sse_starlette import EventSourceResponse
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from servicekit.app import create_app
from servicekit.events import Event, EventHub, EventLog, sse_response, stream_websocket
from servicekit.testing.server import serve_in_loop


def is_done(event: Event) -> bool:
    return event.type == "done"


def events_app(hub: EventHub, *, ping: float = 15.0, own_hub: bool = False) -> FastAPI:
    """A service exposing streams over SSE and WebSocket; ``own_hub`` runs it in the lifespan."""
    router = APIRouter()

    @router.get("/streams/{name}/events")
    async def sse(name: str, request: Request) -> EventSourceResponse:
        return sse_response(hub, request, name, ping=ping, until=is_done)

    @router.websocket("/streams/{name}/ws")
    async def ws(websocket: WebSocket, name: str) -> None:
        await stream_websocket(hub, websocket, name, until=is_done, hello_timeout=0.2)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        yield
        await hub.stop()

    return create_app(
        title="events", version="0", routers=[router], lifespan=lifespan if own_hub else None
    )


@pytest.fixture
async def base_url(hub: EventHub) -> AsyncIterator[str]:
    async with serve_in_loop(events_app(hub)) as url:
        yield url


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def read_sse(
    client: httpx.AsyncClient, url: str, *, count: int | None = None, **kwargs: object
) -> list[ServerSentEvent]:
    """``count`` events then hang up, or (``count=None``) all events until the server ends."""
    received: list[ServerSentEvent] = []
    async with asyncio.timeout(10), aconnect_sse(client, "GET", url, **kwargs) as source:
        source.response.raise_for_status()
        async for event in source.aiter_sse():
            received.append(event)
            if len(received) == count:
                break
    return received


def fields(events: list[ServerSentEvent]) -> list[tuple[str, str, object]]:
    return [(e.id, e.event, e.json()) for e in events]


async def test_sse_reconnect_with_last_event_id_gets_exactly_the_missed_events(
    event_log: EventLog, base_url: str, client: httpx.AsyncClient, stream: str
) -> None:
    url = f"{base_url}/streams/{stream}/events"
    for n in range(3):
        await event_log.publish_now(stream, "message", {"n": n, "text": "héllo\nworld"})
    first = await read_sse(client, url, count=3)
    assert fields(first) == [
        ("1", "message", {"n": 0, "text": "héllo\nworld"}),
        ("2", "message", {"n": 1, "text": "héllo\nworld"}),
        ("3", "message", {"n": 2, "text": "héllo\nworld"}),
    ]

    # Published while the client was away.
    await event_log.publish_now(stream, "message", {"n": 3})
    await event_log.publish_now(stream, "message", {"n": 4})

    async def finish_later() -> None:
        await asyncio.sleep(0.2)
        await event_log.publish_now(stream, "done", {"ok": True})

    finishing = asyncio.create_task(finish_later())
    resumed = await read_sse(client, url, headers={"Last-Event-ID": first[-1].id})
    await finishing
    # The missed events, then the live one that ends the stream; nothing twice.
    assert fields(resumed) == [
        ("4", "message", {"n": 3}),
        ("5", "message", {"n": 4}),
        ("6", "done", {"ok": True}),
    ]


async def test_sse_accepts_the_last_event_id_as_a_query_parameter(
    event_log: EventLog, base_url: str, client: httpx.AsyncClient, stream: str
) -> None:
    for n in range(3):
        await event_log.publish_now(stream, "message", {"n": n})
    await event_log.publish_now(stream, "done", {})
    got = await read_sse(client, f"{base_url}/streams/{stream}/events?last_event_id=2")
    assert [(e.id, e.event) for e in got] == [("3", "message"), ("4", "done")]


async def test_sse_rejects_an_invalid_last_event_id(
    base_url: str, client: httpx.AsyncClient, stream: str
) -> None:
    response = await client.get(
        f"{base_url}/streams/{stream}/events", headers={"Last-Event-ID": "abc"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_last_event_id"


async def test_sse_sends_heartbeat_comments_on_an_idle_stream(
    hub: EventHub, client: httpx.AsyncClient, stream: str
) -> None:
    async with (
        serve_in_loop(events_app(hub, ping=0.1)) as url,
        asyncio.timeout(10),
        client.stream("GET", f"{url}/streams/{stream}/events") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.aiter_lines()
        line = await anext(lines)
        while not line:
            line = await anext(lines)
    assert line.startswith(": ping")


async def test_sse_ends_cleanly_when_the_server_shuts_down(
    event_log: EventLog, client: httpx.AsyncClient, stream: str
) -> None:
    hub = EventHub(event_log)  # started and stopped by the app's lifespan
    received: list[ServerSentEvent] = []
    first = asyncio.Event()

    async def listen(url: str) -> None:
        async with aconnect_sse(client, "GET", url) as source:
            async for event in source.aiter_sse():
                received.append(event)
                first.set()

    async with serve_in_loop(events_app(hub, own_hub=True)) as url:
        listening = asyncio.create_task(listen(f"{url}/streams/{stream}/events"))
        await event_log.publish_now(stream, "message", {})
        async with asyncio.timeout(10):
            await first.wait()
    # Leaving serve_in_loop shut the server down with the client still connected.
    async with asyncio.timeout(10):
        await listening  # the stream ended without an error
    assert [e.id for e in received] == ["1"]
    assert not hub.running


def ws_url(base_url: str, stream: str, query: str = "") -> str:
    return f"{base_url.replace('http://', 'ws://')}/streams/{stream}/ws{query}"


async def receive_frames(socket: object, count: int) -> list[dict[str, object]]:
    async with asyncio.timeout(10):
        return [json.loads(await socket.recv()) for _ in range(count)]  # type: ignore[attr-defined]


async def test_websocket_delivers_backlog_then_live_events_and_closes_when_done(
    event_log: EventLog, base_url: str, stream: str
) -> None:
    await event_log.publish_now(stream, "message", {"n": 0})
    await event_log.publish_now(stream, "message", {"n": 1})
    async with ws_connect(ws_url(base_url, stream)) as socket:
        backlog = await receive_frames(socket, 2)  # no resume point given: the whole stream
        await event_log.publish_now(stream, "message", {"n": 2})
        live = await receive_frames(socket, 1)
        await event_log.publish_now(stream, "done", {})
        last = await receive_frames(socket, 1)
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(10):
                await socket.recv()
        assert socket.close_code == 1000
    assert backlog + live + last == [
        {"id": 1, "type": "message", "data": {"n": 0}},
        {"id": 2, "type": "message", "data": {"n": 1}},
        {"id": 3, "type": "message", "data": {"n": 2}},
        {"id": 4, "type": "done", "data": {}},
    ]


async def test_websocket_resumes_after_the_id_the_client_sends_first(
    event_log: EventLog, base_url: str, stream: str
) -> None:
    for n in range(4):
        await event_log.publish_now(stream, "message", {"n": n})
    async with ws_connect(ws_url(base_url, stream)) as socket:
        await socket.send(json.dumps({"last_event_id": 2}))
        frames = await receive_frames(socket, 2)
        await event_log.publish_now(stream, "message", {"n": 4})
        frames += await receive_frames(socket, 1)
    assert [frame["id"] for frame in frames] == [3, 4, 5]

    async with ws_connect(ws_url(base_url, stream, "?last_event_id=4")) as socket:
        assert [frame["id"] for frame in await receive_frames(socket, 1)] == [5]


async def test_websocket_closes_with_policy_violation_on_a_bad_resume_message(
    base_url: str, stream: str
) -> None:
    async with ws_connect(ws_url(base_url, stream)) as socket:
        await socket.send(json.dumps({"last_event_id": "soon"}))
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(10):
                await socket.recv()
        assert socket.close_code == 1008
