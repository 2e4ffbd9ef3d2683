"""An event log table in a database of its own, and a started hub per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import MetaData

from servicekit.db import Database, naming_metadata
from servicekit.events import EventHub, EventLog, event_log_table


@pytest.fixture(scope="session")
def events_metadata() -> MetaData:
    metadata = naming_metadata()
    event_log_table(metadata)
    return metadata


@pytest.fixture(scope="session")
async def events_db(
    make_database: Callable[[str], str], events_metadata: MetaData
) -> AsyncIterator[Database]:
    database = Database(make_database("events"))
    async with database.engine.begin() as conn:
        await conn.run_sync(events_metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def event_log(events_db: Database, events_metadata: MetaData) -> EventLog:
    return EventLog(events_db, events_metadata.tables["event_log"])


@pytest.fixture
async def hub(event_log: EventLog) -> AsyncIterator[EventHub]:
    hub = EventHub(event_log, min_backoff=0.05, max_backoff=0.5)
    await hub.start()
    yield hub
    await hub.stop()


@pytest.fixture
def stream() -> str:
    """A stream no other test writes to."""
    return f"test:{uuid.uuid4().hex[:12]}"
