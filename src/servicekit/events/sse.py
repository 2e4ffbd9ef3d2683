"""Server-Sent Events for one stream, resumable with ``Last-Event-ID``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request

from servicekit.events.hub import EventHub
from servicekit.events.log import Event
from servicekit.events.resume import resume_after

# How long a stream may take to finish after the server starts shutting down; well under the
# shutdown timeouts of uvicorn and Kubernetes. Our generator ends at once; this is only a bound.
_SHUTDOWN_GRACE = 2.0


def sse_response(
    hub: EventHub,
    request: Request,
    stream: str,
    *,
    ping: float = 15.0,
    until: Callable[[Event], bool] | None = None,
    frame: Callable[[Event], ServerSentEvent] | None = None,
) -> EventSourceResponse:
    """Stream ``stream`` to the client: ``id:`` is the seq, ``event:`` the type, ``data:`` JSON.

    The client gets every event after the one it names in ``Last-Event-ID`` (or
    ``?last_event_id=``), or the whole stream when it names none; an invalid id answers 400.
    A comment line is sent every ``ping`` seconds so that proxies keep an idle connection open.
    The response ends after the first event for which ``until`` is true (a run's terminal
    event), when the client disconnects, or when the server shuts down; in the last two cases
    the body ends properly, so the client's ``EventSource`` simply reconnects and resumes.
    ``frame`` replaces the default frame when a service's clients expect another wire format;
    it must keep ``id`` = the event's seq, or resuming breaks.
    """
    make_frame = frame or _default_frame
    after = resume_after(request) or 0
    shutdown = anyio.Event()

    async def frames() -> AsyncIterator[ServerSentEvent]:
        subscription = hub.subscribe(stream, after)

        async def end_on_shutdown() -> None:
            await shutdown.wait()
            subscription.close()

        watcher = asyncio.create_task(end_on_shutdown())
        try:
            async with aclosing(subscription):
                async for event in subscription:
                    yield make_frame(event)
                    if until is not None and until(event):
                        return
        finally:
            watcher.cancel()

    return EventSourceResponse(
        frames(),
        ping=ping,
        shutdown_event=shutdown,
        shutdown_grace_period=_SHUTDOWN_GRACE,
    )


def _default_frame(event: Event) -> ServerSentEvent:
    return ServerSentEvent(
        data=json.dumps(event.data, separators=(",", ":")), event=event.type, id=str(event.seq)
    )
