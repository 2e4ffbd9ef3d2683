"""Live fan-out: replicas, backlog then live, slow subscribers, a lost LISTEN connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

import psycopg
import pytest

from servicekit.embedded import libpq_url
from servicekit.events import Event, EventHub, EventLog
from servicekit.events.hub import APPLICATION_NAME


async def take(events: AsyncIterator[Event], count: int) -> list[Event]:
    async with asyncio.timeout(10):
        return [await anext(events) for _ in range(count)]


async def test_subscriber_gets_the_backlog_then_live_events_once_each(
    event_log: EventLog, hub: EventHub, stream: str
) -> None:
    for n in range(3):
        await event_log.publish_now(stream, "old", {"n": n})
    async with aclosing(hub.subscribe(stream, after_seq=1)) as events:
        backlog = await take(events, 2)
        for n in range(3):
            await event_log.publish_now(stream, "new", {"n": n})
        live = await take(events, 3)
    assert [(e.seq, e.type) for e in backlog + live] == [
        (2, "old"),
        (3, "old"),
        (4, "new"),
        (5, "new"),
        (6, "new"),
    ]


async def test_two_replicas_get_the_same_ordered_events(
    event_log: EventLog, hub: EventHub, stream: str
) -> None:
    """Two hubs, each with its own LISTEN connection, as in two processes behind a balancer."""
    replica = EventHub(event_log)
    await replica.start()
    try:
        async with (
            aclosing(hub.subscribe(stream)) as first,
            aclosing(replica.subscribe(stream)) as second,
        ):
            await event_log.publish_now(stream, "start", {})
            # Both are live now; the rest arrive through LISTEN/NOTIFY.
            head = [await take(first, 1), await take(second, 1)]
            for n in range(10):
                await event_log.publish_now(stream, "tick", {"n": n})
            got_first, got_second = await asyncio.gather(take(first, 10), take(second, 10))
    finally:
        await replica.stop()
    assert head[0] == head[1]
    assert got_first == got_second
    assert [e.seq for e in got_first] == list(range(2, 12))
    assert [e.data["n"] for e in got_first] == list(range(10))


async def test_a_slow_subscriber_neither_blocks_others_nor_loses_events(
    event_log: EventLog, stream: str
) -> None:
    hub = EventHub(event_log, mailbox_size=3)
    await hub.start()
    try:
        await event_log.publish_now(stream, "tick", {"n": 0})
        async with (
            aclosing(hub.subscribe(stream)) as slow,
            aclosing(hub.subscribe(stream)) as fast,
        ):
            assert (await take(slow, 1))[0].seq == 1  # subscribed, then stops reading
            assert (await take(fast, 1))[0].seq == 1
            for n in range(1, 20):
                await event_log.publish_now(stream, "tick", {"n": n})
            # The fast one gets everything while the slow one's mailbox overflows...
            assert [e.seq for e in await take(fast, 19)] == list(range(2, 21))
            # ...and the slow one catches up from the table, in order, without a gap.
            assert [e.seq for e in await take(slow, 19)] == list(range(2, 21))
            await event_log.publish_now(stream, "tick", {"n": 20})
            assert [e.seq for e in await take(slow, 1)] == [21]
    finally:
        await hub.stop()


async def test_events_published_while_the_listener_is_down_are_delivered_after_reconnect(
    event_log: EventLog, hub: EventHub, stream: str
) -> None:
    async with aclosing(hub.subscribe(stream)) as events:
        await event_log.publish_now(stream, "before", {})
        assert [e.type for e in await take(events, 1)] == ["before"]
        # This one can only arrive through LISTEN, after which the hub has no read pending that
        # could pick up the events below by chance.
        await event_log.publish_now(stream, "live", {})
        assert [e.type for e in await take(events, 1)] == ["live"]

        # Everything below until the next await runs without yielding to the event loop, so
        # the hub cannot reconnect in between: these events are committed while no LISTEN
        # connection of this hub exists, and their notifications are lost for it.
        kill_listener_and_publish(event_log, stream, count=2)
        during = await take(events, 2)
        assert hub.connected

        await event_log.publish_now(stream, "after", {})
        after = await take(events, 1)
    assert [(e.seq, e.type) for e in during + after] == [(3, "during"), (4, "during"), (5, "after")]


def kill_listener_and_publish(event_log: EventLog, stream: str, count: int) -> None:
    with psycopg.connect(libpq_url(event_log.database.url), autocommit=True) as admin:
        listeners = (
            "FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()"
        )
        killed = admin.execute(
            f"SELECT count(pg_terminate_backend(pid)) {listeners}", (APPLICATION_NAME,)
        )
        assert killed.fetchone() == (1,)
        deadline = time.monotonic() + 10
        while admin.execute(f"SELECT count(*) {listeners}", (APPLICATION_NAME,)).fetchone() != (0,):
            assert time.monotonic() < deadline, "the listener backend did not exit"
            time.sleep(0.01)
    with event_log.database.sync_session() as session:
        for n in range(count):
            event_log.publish_sync(session, stream, "during", {"n": n})


async def test_stopping_the_hub_ends_its_subscriptions(event_log: EventLog, stream: str) -> None:
    hub = EventHub(event_log)
    await hub.start()
    await event_log.publish_now(stream, "only", {})
    events = hub.subscribe(stream)
    assert [e.type for e in await take(events, 1)] == ["only"]
    waiting = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.05)
    await hub.stop()
    with pytest.raises(StopAsyncIteration):
        async with asyncio.timeout(10):
            await waiting


def test_subscribing_needs_a_started_hub(event_log: EventLog, stream: str) -> None:
    with pytest.raises(RuntimeError, match="start"):
        EventHub(event_log).subscribe(stream)
