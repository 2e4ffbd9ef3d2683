"""The live run page's transcript: the events so far, rendered, and the same rendering for
every event the page then receives over SSE.

A page is rendered with every event up to some ``seq`` and subscribes from there
(``last_event_id``), so an event is neither lost between the two nor shown twice; each frame keeps
``id`` = seq and is named after its type, so the browser routes it and can drop a repeat.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sse_starlette import ServerSentEvent
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from galileo_arena.runs import events as ev
from galileo_arena.web.transcript import MessageView, message_view
from servicekit.events import Event, EventLog

# Event types shown as transcript entries; metrics_update feeds the progress bar instead.
TRANSCRIPT_EVENTS = (
    ev.RUN_STARTED,
    ev.CASE_STARTED,
    ev.CASE_PHASE_STARTED,
    ev.AGENT_MESSAGE,
    ev.CASE_SCORED,
    ev.CASE_ERROR,
    ev.RUN_FINISHED,
)
MAX_TRANSCRIPT_ENTRIES = 600
"""A whole-dataset run says far more than a page should hold: the latest entries are kept (the
case replay pages have everything)."""
_PAGE = 500


@dataclass(slots=True)
class TranscriptSoFar:
    entries: list[Event] = field(default_factory=list)
    last_seq: int = 0
    dropped: int = 0


async def transcript_so_far(events: EventLog, run_id: str) -> TranscriptSoFar:
    stream = ev.stream_of(run_id)
    kept: deque[Event] = deque(maxlen=MAX_TRANSCRIPT_ENTRIES)
    seen = 0
    result = TranscriptSoFar()
    while batch := await events.read(stream, result.last_seq, limit=_PAGE):
        for event in batch:
            if event.type in TRANSCRIPT_EVENTS:
                kept.append(event)
                seen += 1
        result.last_seq = batch[-1].seq
        if len(batch) < _PAGE:
            break
    result.entries = list(kept)
    result.dropped = seen - len(kept)
    return result


def view_of(event: Event) -> MessageView | None:
    if event.type != ev.AGENT_MESSAGE:
        return None
    data = event.data
    return message_view(
        data["role"],
        data["phase"],
        data["round"],
        data["content"],
        truncated=bool(data.get("truncated")),
    )


def frame_renderer(
    templates: Jinja2Templates, request: Request, context: dict[str, Any]
) -> Callable[[Event], ServerSentEvent]:
    """SSE frames of rendered HTML: a transcript entry, or the progress bar for metrics."""
    entry = templates.get_template("run/_entry.html")
    progress = templates.get_template("run/_progress.html")

    def frame(event: Event) -> ServerSentEvent:
        if event.type == ev.METRICS_UPDATE:
            html = progress.render({**context, "request": request, "progress": event.data})
        else:
            html = entry.render(
                {**context, "request": request, "event": event, "view": view_of(event)}
            )
        return ServerSentEvent(data=html, event=event.type, id=str(event.seq))

    return frame
