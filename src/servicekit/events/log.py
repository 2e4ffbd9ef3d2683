"""Publishing to and reading from the durable event log.

Publishing serialises writers per stream inside the publishing transaction (a transaction-level
advisory lock held until commit), then takes ``max(seq) + 1``. Because the lock is only released
once the commit is visible, events of one stream become visible in ``seq`` order: a reader that
has seen ``seq`` N never later finds a committed N-1 it missed. This relies on PostgreSQL's
default READ COMMITTED isolation, where each statement takes a fresh snapshot after the lock is
granted; under REPEATABLE READ a concurrent publish fails with a unique violation instead.

The same transaction issues ``pg_notify`` with a small JSON payload ``{"stream", "seq"}``;
PostgreSQL delivers it on commit and drops it on rollback. Listeners fetch the rows themselves,
so event size never meets the 8000-byte notification limit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, Text, func, insert, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from servicekit.db import Database

# Keeps the notification payload far below PostgreSQL's 8000-byte limit, even with escaping.
MAX_STREAM_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class Event:
    """One committed event: ``seq`` is its position in ``stream`` (1, 2, 3... without gaps)."""

    stream: str
    seq: int
    type: str
    data: Any
    created_at: datetime


class EventLog:
    """The event log of one service: its table in the service's database, and its channel."""

    def __init__(self, database: Database, table: Table, *, channel: str | None = None) -> None:
        """``channel``: the LISTEN/NOTIFY channel; by default the table's name, which is unique
        within the database and short enough for PostgreSQL's 63-byte identifiers."""
        self.database = database
        self.table = table
        self.channel = channel or table.fullname

    async def publish(self, session: AsyncSession, stream: str, type: str, data: Any) -> Event:
        """Append an event inside ``session``'s transaction; listeners hear of it on commit.

        Other publishers to the same stream wait for this transaction to end, so publish late in
        a transaction that does more work. ``data`` must be JSON-serialisable.
        """
        _check(stream, type)
        await session.execute(self._lock(stream))
        seq, created_at, _ = (await session.execute(self._append(stream, type, data))).one()
        return Event(stream, seq, type, data, created_at)

    def publish_sync(self, session: Session, stream: str, type: str, data: Any) -> Event:
        """:meth:`publish` for synchronous code (Celery tasks, CLI commands)."""
        _check(stream, type)
        session.execute(self._lock(stream))
        seq, created_at, _ = session.execute(self._append(stream, type, data)).one()
        return Event(stream, seq, type, data, created_at)

    async def publish_many(
        self, session: AsyncSession, stream: str, items: Sequence[tuple[str, Any]]
    ) -> None:
        """Append ``(type, data)`` items to ``stream`` in order, in one statement.

        The same guarantees as :meth:`publish` (the stream's transaction lock, gapless ``seq``,
        one notification per event on commit) for a batch, e.g. a bundle's 500 events, which
        would otherwise cost two round trips each.
        """
        if not items:
            return
        _check(stream, items[0][0])
        if any(not type for type, _ in items):
            raise ValueError("event type must not be empty")
        await session.execute(self._lock(stream))
        table = ".".join(
            '"' + part.replace('"', '""') + '"' for part in self.table.fullname.split(".")
        )
        await session.execute(
            text(
                # The table's name comes from the code, never from input.
                f"WITH base AS (SELECT coalesce(max(seq), 0) AS seq FROM {table} "  # noqa: S608
                "WHERE stream = :stream), "
                f"inserted AS (INSERT INTO {table} (stream, seq, type, data) "
                "SELECT :stream, base.seq + item.ord, item.value ->> 'type', item.value -> 'data' "
                "FROM base, jsonb_array_elements(CAST(:items AS jsonb)) "
                "WITH ORDINALITY AS item(value, ord) RETURNING seq) "
                "SELECT pg_notify(:channel, json_build_object('stream', CAST(:stream AS text), "
                "'seq', seq)::text) FROM inserted ORDER BY seq"
            ),
            {
                "stream": stream,
                "channel": self.channel,
                "items": json.dumps([{"type": type, "data": data} for type, data in items]),
            },
        )

    async def publish_now(self, stream: str, type: str, data: Any) -> Event:
        """Append an event in a transaction of its own, committed before this returns."""
        async with self.database.session() as session:
            return await self.publish(session, stream, type, data)

    async def read(self, stream: str, after_seq: int = 0, limit: int = 500) -> list[Event]:
        """Up to ``limit`` events of ``stream`` with ``seq > after_seq``, in order (catch-up)."""
        t = self.table
        query = (
            select(t.c.stream, t.c.seq, t.c.type, t.c.data, t.c.created_at)
            .where(t.c.stream == stream, t.c.seq > after_seq)
            .order_by(t.c.seq)
            .limit(limit)
        )
        async with self.database.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Event(*row) for row in rows]

    def _lock(self, stream: str) -> Select[Any]:
        # The two-key form keeps these locks apart from single-key ones (migrations) and from
        # streams of another event table in the same database.
        key = func.hashtext(literal(self.table.fullname, Text))
        return select(func.pg_advisory_xact_lock(key, func.hashtext(literal(stream, Text))))

    def _append(self, stream: str, type: str, data: Any) -> Select[Any]:
        """One round trip: insert at ``max(seq) + 1`` and notify with the new ``seq``."""
        t = self.table
        next_seq = (
            select(func.coalesce(func.max(t.c.seq), 0) + 1)
            .where(t.c.stream == stream)
            .scalar_subquery()
        )
        inserted = (
            insert(t)
            .values(stream=stream, seq=next_seq, type=type, data=data)
            .returning(t.c.seq, t.c.created_at)
            .cte("inserted")
        )
        payload = func.json_build_object(
            literal("stream", Text), literal(stream, Text), literal("seq", Text), inserted.c.seq
        )
        notify = func.pg_notify(literal(self.channel, Text), payload.cast(Text))
        return select(inserted.c.seq, inserted.c.created_at, notify)


def _check(stream: str, type: str) -> None:
    if not stream or len(stream) > MAX_STREAM_LENGTH:
        raise ValueError(f"stream must be 1 to {MAX_STREAM_LENGTH} characters, got {len(stream)}")
    if not type:
        raise ValueError("event type must not be empty")
