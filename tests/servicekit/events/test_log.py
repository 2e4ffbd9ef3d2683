"""Publishing and reading the durable log: gap-free seqs, transactions, other processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from contextlib import aclosing

import pytest
from sqlalchemy import select

from servicekit.db import Database
from servicekit.events import Event, EventHub, EventLog


async def test_publish_appends_in_order_and_read_replays_after_a_seq(
    event_log: EventLog, stream: str
) -> None:
    published = [await event_log.publish_now(stream, "step", {"n": n}) for n in range(5)]
    assert [event.seq for event in published] == [1, 2, 3, 4, 5]

    replay = await event_log.read(stream, after_seq=2)
    assert [(e.seq, e.type, e.data) for e in replay] == [
        (3, "step", {"n": 2}),
        (4, "step", {"n": 3}),
        (5, "step", {"n": 4}),
    ]
    assert replay[0].created_at.tzinfo is not None
    assert [e.seq for e in await event_log.read(stream, after_seq=0, limit=2)] == [1, 2]
    assert await event_log.read(stream, after_seq=5) == []
    # Streams are numbered independently.
    assert (await event_log.publish_now(f"{stream}:other", "step", {})).seq == 1


async def test_publish_many_appends_a_batch_after_single_events_and_notifies_each(
    event_log: EventLog, hub: EventHub, stream: str
) -> None:
    await event_log.publish_now(stream, "first", {"n": 0})
    async with aclosing(hub.subscribe(stream, after_seq=1)) as subscription:
        async with event_log.database.session() as session:
            await event_log.publish_many(
                session, stream, [("claim", {"n": n}) for n in range(1, 4)] + [("done", {})]
            )
        received = [await asyncio.wait_for(anext(subscription), 10) for _ in range(4)]
    assert [(e.seq, e.type, e.data) for e in received] == [
        (2, "claim", {"n": 1}),
        (3, "claim", {"n": 2}),
        (4, "claim", {"n": 3}),
        (5, "done", {}),
    ]
    assert (await event_log.publish_now(stream, "after", {})).seq == 6
    async with event_log.database.session() as session:
        with pytest.raises(ValueError, match="event type"):
            await event_log.publish_many(session, stream, [("ok", {}), ("", {})])


async def test_concurrent_publishers_produce_gap_free_seqs_seen_in_order(
    event_log: EventLog, hub: EventHub, stream: str
) -> None:
    publishers, each = 8, 15
    total = publishers * each

    async def publisher(name: int) -> list[int]:
        seqs = []
        for n in range(each):
            # Separate transactions on separate pooled connections, racing for the same stream.
            async with event_log.database.session() as session:
                event = await event_log.publish(session, stream, "tick", {"p": name, "n": n})
            seqs.append(event.seq)
        return seqs

    async def watcher() -> list[Event]:
        seen: list[Event] = []
        async with aclosing(hub.subscribe(stream)) as events:
            async for event in events:
                seen.append(event)
                if len(seen) == total:
                    return seen
        return seen

    async with asyncio.timeout(30):
        watching = asyncio.create_task(watcher())
        results = await asyncio.gather(*(publisher(p) for p in range(publishers)))
        seen = await watching

    assert sorted(seq for seqs in results for seq in seqs) == list(range(1, total + 1))
    for seqs in results:
        assert seqs == sorted(seqs)
    assert [event.seq for event in seen] == list(range(1, total + 1))
    stored = await event_log.read(stream, limit=1000)
    assert [event.seq for event in stored] == list(range(1, total + 1))
    for p in range(publishers):  # each publisher's events keep their own order
        assert [e.data["n"] for e in stored if e.data["p"] == p] == list(range(each))


async def test_rolled_back_publish_is_never_stored_nor_delivered(
    event_log: EventLog, hub: EventHub, stream: str
) -> None:
    class Abort(Exception):
        pass

    async with aclosing(hub.subscribe(stream)) as events:
        with pytest.raises(Abort):
            async with event_log.database.session() as session:
                await event_log.publish(session, stream, "doomed", {"x": 1})
                raise Abort
        kept = await event_log.publish_now(stream, "kept", {"x": 2})
        async with asyncio.timeout(10):
            first = await anext(events)

    assert kept.seq == 1  # the rolled-back seq was never taken
    assert (first.seq, first.type, first.data) == (1, "kept", {"x": 2})
    assert [e.type for e in await event_log.read(stream)] == ["kept"]


async def test_publish_is_part_of_the_callers_transaction(
    event_log: EventLog, events_db: Database, stream: str
) -> None:
    table = event_log.table
    async with events_db.session() as session:
        event = await event_log.publish(session, stream, "created", {"id": 7})
        # Visible inside the transaction, invisible outside until it commits.
        inside = await session.scalar(select(table.c.seq).where(table.c.stream == stream))
        assert inside == event.seq == 1
        assert await event_log.read(stream) == []
    assert [e.seq for e in await event_log.read(stream)] == [1]


async def test_publish_rejects_streams_that_would_not_fit_a_notification(
    event_log: EventLog,
) -> None:
    with pytest.raises(ValueError, match="stream"):
        await event_log.publish_now("", "t", {})
    with pytest.raises(ValueError, match="stream"):
        await event_log.publish_now("s" * 1001, "t", {})
    with pytest.raises(ValueError, match="type"):
        await event_log.publish_now("s", "", {})


PUBLISHER = """
import asyncio, sys
from servicekit.db import Database, naming_metadata
from servicekit.events import EventLog, event_log_table

url, stream = sys.argv[1], sys.argv[2]
database = Database(url)
log = EventLog(database, event_log_table(naming_metadata()))

async def main():
    await log.publish_now(stream, "from-async", {"pid": "child"})
    with database.sync_session() as session:  # what a Celery task does
        log.publish_sync(session, stream, "from-sync", {"pid": "child"})
    await database.dispose()

asyncio.run(main())
"""


async def test_events_published_by_another_process_reach_subscribers_here(
    event_log: EventLog, hub: EventHub, stream: str
) -> None:
    async with aclosing(hub.subscribe(stream)) as events:
        # Wait in the background while the child starts up and publishes.
        waiting = asyncio.ensure_future(anext(events))
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            PUBLISHER,
            event_log.database.url,
            stream,
            stderr=subprocess.PIPE,
        )
        _, stderr = await child.communicate()
        assert child.returncode == 0, stderr.decode()
        async with asyncio.timeout(10):
            received = [await waiting, await anext(events)]

    assert [(e.seq, e.type, e.data) for e in received] == [
        (1, "from-async", {"pid": "child"}),
        (2, "from-sync", {"pid": "child"}),
    ]
