"""Queries on sessions, their events and snapshots; every read is scoped to the owner."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from curiouscore.engine.events import Event, EventType
from curiouscore.models import GameEvent, GameSession, SessionSnapshot


def owned_sessions(user_id: uuid.UUID) -> Select[tuple[GameSession]]:
    """The sessions a user may see: their own, and nobody else's."""
    return select(GameSession).where(GameSession.user_id == user_id)


async def owned(db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> GameSession | None:
    return await db.scalar(owned_sessions(user_id).where(GameSession.id == session_id))


async def by_id(db: AsyncSession, session_id: uuid.UUID) -> GameSession | None:
    return await db.get(GameSession, session_id)


async def listed(
    db: AsyncSession,
    user_id: uuid.UUID,
    *,
    challenge_id: uuid.UUID | None,
    statuses: list[str] | None,
    limit: int,
) -> list[GameSession]:
    query = owned_sessions(user_id)
    if challenge_id is not None:
        query = query.where(GameSession.challenge_id == challenge_id)
    if statuses:
        query = query.where(GameSession.status.in_(statuses))
    query = query.order_by(GameSession.updated_at.desc(), GameSession.id).limit(limit)
    return list(await db.scalars(query))


async def latest_snapshot(
    db: AsyncSession, session_id: uuid.UUID, *, schema_version: int, up_to: int
) -> SessionSnapshot | None:
    return await db.scalar(
        select(SessionSnapshot)
        .where(
            SessionSnapshot.session_id == session_id,
            SessionSnapshot.schema_version == schema_version,
            SessionSnapshot.event_sequence <= up_to,
        )
        .order_by(SessionSnapshot.event_sequence.desc())
        .limit(1)
    )


async def events_after(
    db: AsyncSession, session_id: uuid.UUID, after: int, up_to: int | None = None
) -> list[Event]:
    query = (
        select(GameEvent)
        .where(GameEvent.session_id == session_id, GameEvent.sequence_number > after)
        .order_by(GameEvent.sequence_number)
    )
    if up_to is not None:
        query = query.where(GameEvent.sequence_number <= up_to)
    rows = await db.scalars(query)
    return [
        Event(row.sequence_number, EventType(row.event_type), row.event_data, row.occurred_at)
        for row in rows
    ]


async def append(db: AsyncSession, session_id: uuid.UUID, events: list[Event]) -> None:
    if events:
        await db.execute(
            insert(GameEvent),
            [
                {
                    "session_id": session_id,
                    "sequence_number": e.sequence,
                    "event_type": e.type.value,
                    "event_data": e.data,
                    "occurred_at": e.occurred_at,
                }
                for e in events
            ],
        )


async def add_snapshots(
    db: AsyncSession,
    session_id: uuid.UUID,
    snapshots: list[tuple[int, dict[str, Any]]],
    schema_version: int,
) -> None:
    if snapshots:
        await db.execute(
            insert(SessionSnapshot),
            [
                {
                    "session_id": session_id,
                    "event_sequence": sequence,
                    "schema_version": schema_version,
                    "snapshot_data": data,
                }
                for sequence, data in snapshots
            ],
        )


async def advance_projection(
    db: AsyncSession, session_id: uuid.UUID, expected_sequence: int, values: dict[str, Any]
) -> bool:
    """Move the projection forward iff nobody else did since ``expected_sequence`` was read.

    The row lock this UPDATE takes makes a concurrent writer wait, then see the new
    ``last_sequence`` and update nothing: that is the optimistic concurrency check.
    """
    result = await db.execute(
        update(GameSession)
        .where(GameSession.id == session_id, GameSession.last_sequence == expected_sequence)
        .values(**values)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def all_snapshots(
    db: AsyncSession, session_id: uuid.UUID, schema_version: int
) -> list[tuple[int, dict[str, Any]]]:
    rows = await db.execute(
        select(SessionSnapshot.event_sequence, SessionSnapshot.snapshot_data)
        .where(
            SessionSnapshot.session_id == session_id,
            SessionSnapshot.schema_version == schema_version,
        )
        .order_by(SessionSnapshot.event_sequence)
    )
    return [(sequence, data) for sequence, data in rows.all()]


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
