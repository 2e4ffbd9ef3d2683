"""Where a reconnecting client resumes: the last event id it saw, as sent over HTTP."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from servicekit.errors import ServiceError


def resume_after(connection: HTTPConnection) -> int | None:
    """The ``seq`` a client last saw: the ``Last-Event-ID`` header (what ``EventSource`` sends
    when it reconnects), else the ``last_event_id`` query parameter (for clients that cannot set
    headers, and for WebSockets); ``None`` when the client gave neither."""
    raw = connection.headers.get("last-event-id")
    if raw is None:
        raw = connection.query_params.get("last_event_id")
    return None if raw is None or raw == "" else parse_event_id(raw)


def parse_event_id(raw: object) -> int:
    """A client-supplied event id as a ``seq``; 400 when it is not one we could have sent."""
    if isinstance(raw, bool):
        raw = None  # JSON true/false are ints to Python, never event ids
    try:
        seq = int(raw) if isinstance(raw, int | str) else -1
    except ValueError:
        seq = -1
    if seq < 0:
        raise ServiceError(
            f"Invalid last event id {raw!r}: expected a non-negative integer",
            code="invalid_last_event_id",
        )
    return seq
