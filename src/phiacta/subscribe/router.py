"""``WS /v1/subscribe?token=<api key>[&since=<event id>]``.

The client sends ``{"action": "subscribe", "event_types": [...], "filters": {...}}`` (again at
any time to change them); the server sends ``{event_id, event_type, timestamp, data}`` for each
matching event after ``since`` (default: from the moment of connecting), in order, and
``{"type": "ping"}`` every ``WS_PING_SECONDS``. A client silent for two ping intervals is
dropped (any message, e.g. ``{"action": "pong"}``, counts as alive).

Refusals happen before the handshake completes: 4401 bad key, 4403 missing ``search:read``,
4429 too many connections for this key.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing, suppress
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlalchemy import func, select

from phiacta import scopes
from phiacta.event_filters import matches
from phiacta.models import EVENT_STREAM, event_log
from phiacta.runtime import Phiacta
from servicekit.auth import AuthError

router = APIRouter(tags=["events"])


class _Subscription:
    def __init__(self) -> None:
        self.event_types: list[str] = []
        self.filters: dict[str, Any] = {}
        self.ready = asyncio.Event()
        self.last_heard = time.monotonic()

    def update(self, message: Any) -> None:
        self.last_heard = time.monotonic()
        if isinstance(message, dict) and message.get("action") == "subscribe":
            types = message.get("event_types") or []
            filters = message.get("filters") or {}
            self.event_types = [t for t in types if isinstance(t, str)]
            self.filters = filters if isinstance(filters, dict) else {}
            self.ready.set()


async def _latest_seq(phiacta: Phiacta) -> int:
    async with phiacta.db.session() as session:
        latest = await session.scalar(
            select(func.coalesce(func.max(event_log.c.seq), 0)).where(
                event_log.c.stream == EVENT_STREAM
            )
        )
    return int(latest or 0)


@router.websocket("/v1/subscribe")
async def subscribe(websocket: WebSocket, token: str = "", since: int | None = None) -> None:
    phiacta: Phiacta = websocket.app.state.phiacta
    try:
        principal = await phiacta.authenticator.authenticate(token)
    except AuthError:
        await websocket.close(code=4401, reason="invalid API key")
        return
    if not scopes.grants(principal.scopes, scopes.SEARCH_READ):
        await websocket.close(code=4403, reason="search:read required")
        return
    key = principal.credential_id or ""
    if not phiacta.connections.acquire(key):
        await websocket.close(code=4429, reason="too many subscriptions for this key")
        return
    try:
        after = since if since is not None else await _latest_seq(phiacta)
        await websocket.accept()
        await _serve(phiacta, websocket, after)
    finally:
        phiacta.connections.release(key)


async def _serve(phiacta: Phiacta, websocket: WebSocket, after: int) -> None:
    state = _Subscription()
    interval = phiacta.settings.ws_ping_seconds

    async def receive() -> None:
        while True:
            state.update(await websocket.receive_json())

    async def send() -> None:
        await state.ready.wait()
        async with aclosing(phiacta.hub.subscribe(EVENT_STREAM, after)) as events:
            async for event in events:
                if matches(state.event_types, state.filters, event.type, event.data):
                    await websocket.send_json(
                        {
                            "event_id": event.seq,
                            "event_type": event.type,
                            "timestamp": event.created_at.isoformat(),
                            "data": event.data,
                        }
                    )

    async def ping() -> None:
        while True:
            await asyncio.sleep(interval)
            if time.monotonic() - state.last_heard > 2 * interval:
                return  # the client stopped answering
            await websocket.send_json({"type": "ping"})

    tasks = [asyncio.create_task(job()) for job in (receive, send, ping)]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    with suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close(code=1001)
