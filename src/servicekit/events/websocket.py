"""One stream over a WebSocket, with the same resume semantics as the SSE helper."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import aclosing, suppress

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from servicekit.errors import ServiceError
from servicekit.events.hub import EventHub
from servicekit.events.log import Event
from servicekit.events.resume import parse_event_id, resume_after

# Close codes (RFC 6455): normal end, server going away, client sent something invalid.
_NORMAL, _GOING_AWAY, _POLICY = 1000, 1001, 1008


async def stream_websocket(
    hub: EventHub,
    websocket: WebSocket,
    stream: str,
    *,
    until: Callable[[Event], bool] | None = None,
    hello_timeout: float = 0.5,
) -> None:
    """Send ``stream`` as JSON frames ``{"id": seq, "type": ..., "data": ...}``.

    Accepts the socket, then takes the resume point from ``?last_event_id=`` or, failing that,
    from a first client frame ``{"last_event_id": N}`` sent within ``hello_timeout`` seconds
    (otherwise the whole stream is sent). Closes with 1000 after the first event for which
    ``until`` is true, 1001 when the hub stops, 1008 on an invalid resume message; returns when
    the client disconnects. Later client frames are ignored.
    """
    await websocket.accept()
    try:
        after = await _resume_point(websocket, hello_timeout)
    except WebSocketDisconnect:
        return
    except ServiceError as exc:
        await websocket.close(_POLICY, reason=exc.message[:120])
        return

    async def send_events() -> int | None:
        """The close code to end with, or None when the client has gone."""
        try:
            async with aclosing(hub.subscribe(stream, after)) as events:
                async for event in events:
                    frame = {"id": event.seq, "type": event.type, "data": event.data}
                    await websocket.send_json(frame)
                    if until is not None and until(event):
                        return _NORMAL
        except WebSocketDisconnect:
            return None
        return _GOING_AWAY

    async def until_disconnect() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    sender = asyncio.create_task(send_events())
    listener = asyncio.create_task(until_disconnect())
    try:
        done, _ = await asyncio.wait({sender, listener}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, listener):
            task.cancel()
        await asyncio.gather(sender, listener, return_exceptions=True)
    if listener in done and listener.exception() is None:
        return  # the client left; nothing to close
    code = sender.result() if sender in done else None  # re-raises a failure to read the log
    if code is not None and websocket.client_state == WebSocketState.CONNECTED:
        with suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code)


async def _resume_point(websocket: WebSocket, hello_timeout: float) -> int:
    after = resume_after(websocket)
    if after is not None:
        return after
    try:
        message = await asyncio.wait_for(websocket.receive(), timeout=hello_timeout)
    except TimeoutError:
        return 0
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    raw = message.get("text")
    if raw is None:
        raw = (message.get("bytes") or b"").decode("utf-8", errors="replace")
    try:
        hello = json.loads(raw)
    except ValueError:
        hello = None
    if not isinstance(hello, dict) or "last_event_id" not in hello:
        raise ServiceError('The first message must be {"last_event_id": N}')
    return parse_event_id(hello["last_event_id"])
