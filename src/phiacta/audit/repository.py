"""Appending to and reading the audit log, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.chain import (
    GENESIS,
    AuditFields,
    ChainedEntry,
    digest,
    entry_hash,
    first_break,
)
from phiacta.models import AuditEntry

# One writer at a time extends the chain; held until the writing transaction ends, so the
# entry commits or vanishes together with the change it records.
_CHAIN_LOCK = 0x0A0D_17C4


async def record(
    session: AsyncSession,
    actor: Actor | None,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    await session.execute(select(func.pg_advisory_xact_lock(_CHAIN_LOCK)))
    prev = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    fields = AuditFields(
        at=datetime.now(UTC).isoformat(),
        agent_id=str(actor.agent_id) if actor else None,
        request_id=actor.request_id if actor else None,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        before_hash=digest(before) if before is not None else None,
        after_hash=digest(after) if after is not None else None,
    )
    prev_hash = prev or GENESIS
    await session.execute(
        insert(AuditEntry).values(
            at=datetime.fromisoformat(fields.at),
            agent_id=actor.agent_id if actor else None,
            request_id=fields.request_id,
            action=action,
            entity_type=entity_type,
            entity_id=fields.entity_id,
            before_hash=fields.before_hash,
            after_hash=fields.after_hash,
            prev_hash=prev_hash,
            hash=entry_hash(prev_hash, fields),
        )
    )


async def chained_entries(session: AsyncSession) -> AsyncIterator[ChainedEntry]:
    rows = await session.stream(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)
    )
    async for row in rows.scalars():
        yield ChainedEntry(
            id=row.id,
            fields=AuditFields(
                at=row.at.astimezone(UTC).isoformat(),
                agent_id=str(row.agent_id) if row.agent_id else None,
                request_id=row.request_id,
                action=row.action,
                entity_type=row.entity_type,
                entity_id=row.entity_id,
                before_hash=row.before_hash,
                after_hash=row.after_hash,
            ),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


async def verify(session: AsyncSession) -> int | None:
    """The id of the first entry breaking the chain, or None when the whole log verifies."""
    return first_break([entry async for entry in chained_entries(session)])
