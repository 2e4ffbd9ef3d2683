"""The per-process hub: one LISTEN connection, fanning events out to in-process subscribers.

Every replica and worker process runs one hub per event log. PostgreSQL delivers each
notification (``{"stream", "seq"}``) to every hub; a hub with subscribers to that stream reads
the new rows once and hands them to each subscriber's :class:`Mailbox`. Subscribers keep their
own position and trust only the table: they start with the backlog, drop what they have already
seen, and re-read from the table whenever something may be missing (a gap in ``seq``, a full
mailbox, a lost connection). Notifications are only a wake-up call, so losing one delays an
event but never loses it.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from servicekit.embedded import libpq_url
from servicekit.events.log import Event, EventLog
from servicekit.events.mailbox import Mailbox
from servicekit.logging import get_logger

log = get_logger("servicekit.events")

# Shown in pg_stat_activity, so operators (and tests) can tell the listening connections apart.
APPLICATION_NAME = "servicekit-events"


@dataclass
class _Feed:
    """The subscribers of one stream in this process, and how far the hub has read it."""

    mailboxes: set[Mailbox] = field(default_factory=set)
    fetched: int | None = None  # highest seq handed to the mailboxes
    floor: int | None = None  # lowest seq announced while nothing was fetched yet
    dirty: bool = False  # announced events not read yet
    pump: asyncio.Task[None] | None = None

    def announce(self, seq: int) -> bool:
        """Note a notification; False when its event was already handed out."""
        if self.fetched is not None:
            if seq <= self.fetched:
                return False
        elif self.floor is None or seq < self.floor:
            self.floor = seq
        self.dirty = True
        return True

    def read_from(self) -> int:
        if self.fetched is not None:
            return self.fetched
        return (self.floor or 1) - 1


class EventHub:
    """Live fan-out of one :class:`EventLog`; :meth:`start` and :meth:`stop` it in a lifespan."""

    def __init__(
        self,
        events: EventLog,
        *,
        mailbox_size: int = 1000,
        page_size: int = 500,
        keepalive: float = 10.0,
        min_backoff: float = 0.1,
        max_backoff: float = 10.0,
    ) -> None:
        """
        ``mailbox_size``: live events a subscriber may lag behind before it re-reads the table.
        ``page_size``: rows per catch-up read.
        ``keepalive``: seconds between checks that the LISTEN connection still answers (a
        connection lost without a TCP reset is only noticed this way).
        ``min_backoff``/``max_backoff``: reconnection delays, doubling from one to the other.
        """
        self.events = events
        self.mailbox_size = mailbox_size
        self.page_size = page_size
        self.keepalive = keepalive
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self._dsn = libpq_url(events.database.url)
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._feeds: dict[str, _Feed] = {}

    @property
    def running(self) -> bool:
        return self._supervisor is not None

    @property
    def connected(self) -> bool:
        """Whether the LISTEN connection is up (for readiness checks)."""
        return self._conn is not None and not self._conn.is_closed() and not self._lost.is_set()

    async def start(self) -> None:
        """Connect and LISTEN; raises if the database cannot be reached now."""
        if self._supervisor is not None:
            return
        await self._connect()
        self._supervisor = asyncio.create_task(self._supervise(), name="events-hub")

    async def stop(self) -> None:
        """Stop listening and end every subscription of this hub."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        pumps = [feed.pump for feed in self._feeds.values() if feed.pump is not None]
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        for feed in self._feeds.values():
            for mailbox in feed.mailboxes:
                mailbox.close()
        self._feeds.clear()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close(timeout=5)
            except Exception:  # already broken: nothing to close politely
                conn.terminate()

    def subscribe(self, stream: str, after_seq: int = 0) -> Subscription:
        """Each event of ``stream`` after ``after_seq``: the backlog, then live, once, in order."""
        if self._supervisor is None:
            raise RuntimeError("EventHub.start() must be called before subscribing")
        mailbox = Mailbox(self.mailbox_size)
        return Subscription(mailbox, self._follow(stream, after_seq, mailbox))

    async def _follow(
        self, stream: str, after_seq: int, mailbox: Mailbox
    ) -> AsyncGenerator[Event, None]:
        if self._supervisor is None:
            return  # the hub stopped before this subscription was first iterated
        feed = self._feeds.setdefault(stream, _Feed())
        feed.mailboxes.add(mailbox)
        try:
            last = after_seq
            behind = True  # read the table first: everything before now is only there
            while not mailbox.closed:
                stale = mailbox.take_stale()
                if behind or stale:
                    while not mailbox.closed:
                        page = await self.events.read(stream, last, self.page_size)
                        for event in page:
                            yield event
                            last = event.seq
                        if len(page) < self.page_size:
                            break
                    behind = False
                    continue
                fresh = mailbox.take_events()
                if not fresh:
                    await mailbox.wait()
                    continue
                for event in fresh:
                    if event.seq <= last:
                        continue  # already read from the table
                    if event.seq != last + 1:
                        behind = True  # seqs have no gaps: the ones in between are in the table
                        break
                    yield event
                    last = event.seq
        finally:
            feed.mailboxes.discard(mailbox)
            if not feed.mailboxes and self._feeds.get(stream) is feed:
                del self._feeds[stream]

    async def _connect(self) -> None:
        conn = await asyncpg.connect(
            self._dsn, timeout=10, server_settings={"application_name": APPLICATION_NAME}
        )
        try:
            self._lost.clear()
            self._conn = conn
            conn.add_termination_listener(self._on_termination)
            await conn.add_listener(self.events.channel, self._on_notification)
        except BaseException:
            self._conn = None
            conn.terminate()
            raise

    def _on_termination(self, conn: Any) -> None:
        if conn is self._conn:
            self._lost.set()

    def _on_notification(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
            stream, seq = str(message["stream"]), int(message["seq"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed event notification", channel=channel, payload=payload)
            return
        feed = self._feeds.get(stream)
        if feed is None or not feed.announce(seq):
            return
        if feed.pump is None or feed.pump.done():
            feed.pump = asyncio.create_task(self._pump(stream, feed), name=f"events-pump:{stream}")

    async def _pump(self, stream: str, feed: _Feed) -> None:
        """Read announced events once for all of the stream's subscribers in this process."""
        while feed.dirty:
            feed.dirty = False
            while True:
                try:
                    page = await self.events.read(stream, feed.read_from(), self.page_size)
                except Exception:
                    log.exception("reading new events failed; subscribers re-read", stream=stream)
                    for mailbox in feed.mailboxes:
                        mailbox.mark_stale()
                    return
                if page:
                    for mailbox in list(feed.mailboxes):
                        mailbox.deliver(page)
                    feed.fetched = page[-1].seq
                if len(page) < self.page_size:
                    break

    async def _supervise(self) -> None:
        """Notice a lost LISTEN connection, reconnect with backoff, make subscribers catch up."""
        while True:
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation
                # that arrives as the wait ends, and stop() would then wait for ever.
                async with asyncio.timeout(self.keepalive):
                    await self._lost.wait()
            except TimeoutError:
                if await self._answers():
                    continue
            await self._reconnect()

    async def _answers(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            await conn.fetchval("SELECT 1", timeout=self.keepalive)
        except Exception:
            return False
        return True

    async def _reconnect(self) -> None:
        old, self._conn = self._conn, None
        if old is not None:
            old.terminate()
        log.warning("event listener connection lost; reconnecting", channel=self.events.channel)
        delay = self.min_backoff
        while True:
            try:
                await self._connect()
                break
            except Exception as exc:
                log.warning("event listener reconnection failed", error=str(exc), retry_in=delay)
            # Jitter keeps many replicas from reconnecting in lockstep after a database restart.
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - not security
            delay = min(delay * 2, self.max_backoff)
        # Notifications sent while disconnected are gone: every subscriber re-reads the table.
        for feed in self._feeds.values():
            for mailbox in feed.mailboxes:
                mailbox.mark_stale()
        log.info("event listener reconnected", channel=self.events.channel)


class Subscription:
    """One consumer's view of a stream: iterate it; it ends when the hub stops or on close().

    Use ``async with contextlib.aclosing(subscription)`` (or call :meth:`aclose`) so that a
    consumer leaving early releases its place in the hub at once.
    """

    def __init__(self, mailbox: Mailbox, events: AsyncGenerator[Event, None]) -> None:
        self._mailbox = mailbox
        self._events = events

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        return await self._events.__anext__()

    def close(self) -> None:
        """End the iteration from elsewhere (e.g. on server shutdown), even while it waits."""
        self._mailbox.close()

    async def aclose(self) -> None:
        self._mailbox.close()
        await self._events.aclose()
