"""Domain events: a durable per-stream log in the service's database, with live fan-out.

Every process (web replicas, Celery workers, CLI commands) publishes into the same table and
hears of new events through PostgreSQL LISTEN/NOTIFY, so nothing lives only in one process's
memory. Typical wiring in a service::

    events = EventLog(database, event_log_table(Base.metadata))
    hub = EventHub(events)            # start()/stop() in the app's lifespan

    async with database.session() as session:
        ...                           # the domain change
        await events.publish(session, f"run:{run_id}", "message", {"text": text})

    @router.get("/runs/{run_id}/events")
    async def run_events(run_id: str, request: Request) -> EventSourceResponse:
        return sse_response(hub, request, f"run:{run_id}", until=lambda e: e.type == "done")
"""

from servicekit.events.hub import EventHub
from servicekit.events.log import Event, EventLog
from servicekit.events.sse import sse_response
from servicekit.events.table import event_log_table
from servicekit.events.websocket import stream_websocket

__all__ = ["Event", "EventHub", "EventLog", "event_log_table", "sse_response", "stream_websocket"]
