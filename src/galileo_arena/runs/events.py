"""The live events of a run: names, payload shapes, and the SSE frame clients receive.

Each event is stored in ``run_events`` (stream ``run:<run_id>``) in the same transaction as the
change it announces, so a client that reconnects with ``Last-Event-ID`` misses nothing and sees
nothing twice, whichever worker process it reaches.
"""

from __future__ import annotations

import json
from datetime import UTC

from sse_starlette import ServerSentEvent

from servicekit.events import Event

RUN_STARTED = "run_started"
CASE_STARTED = "case_started"
CASE_PHASE_STARTED = "case_phase_started"
AGENT_MESSAGE = "agent_message"
CASE_SCORED = "case_scored"
CASE_ERROR = "case_error"
METRICS_UPDATE = "metrics_update"
RUN_FINISHED = "run_finished"

MAX_CONTENT_CHARS = 2000
"""``agent_message`` content is cut here (with ``truncated: true``); the full text is stored."""


def stream_of(run_id: str) -> str:
    return f"run:{run_id}"


def is_final(event: Event) -> bool:
    return event.type == RUN_FINISHED


def clip(content: str) -> tuple[str, bool]:
    if len(content) <= MAX_CONTENT_CHARS:
        return content, False
    return content[:MAX_CONTENT_CHARS], True


def frame(event: Event) -> ServerSentEvent:
    """The upstream wire format, unnamed so ``EventSource.onmessage`` sees every event.

    ``data: {"seq", "event_type", "payload", "timestamp"}`` with ``id:`` = seq, which browsers
    send back as ``Last-Event-ID`` when they reconnect.
    """
    body = {
        "seq": event.seq,
        "event_type": event.type,
        "payload": event.data,
        "timestamp": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }
    return ServerSentEvent(data=json.dumps(body, separators=(",", ":")), id=str(event.seq))
