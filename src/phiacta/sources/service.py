"""Source use cases."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.repository import record
from phiacta.errors import not_found
from phiacta.models import Source
from phiacta.pagination import decode_cursor, encode_cursor
from phiacta.sources import repository
from phiacta.sources.schemas import SourceCreate, SourcePage, SourceRead


async def create(session: AsyncSession, data: SourceCreate, actor: Actor) -> Source:
    source = Source(**data.model_dump(), submitted_by=actor.agent_id)
    session.add(source)
    await session.flush()
    await session.refresh(source)
    await record(session, actor, "source.create", "source", source.id, after=data.model_dump())
    return source


async def get(session: AsyncSession, source_id: uuid.UUID) -> Source:
    source = await repository.get(session, source_id)
    if source is None:
        raise not_found("Source", source_id)
    return source


async def list_page(
    session: AsyncSession,
    *,
    source_type: str | None,
    external_ref: str | None,
    cursor: str | None,
    limit: int,
) -> SourcePage:
    after = None
    if cursor:
        key = decode_cursor(cursor, ("at", "id"))
        after = (datetime.fromisoformat(key["at"]), uuid.UUID(key["id"]))
    rows = await repository.page(
        session, source_type=source_type, external_ref=external_ref, after=after, limit=limit + 1
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if has_more else None
    return SourcePage(
        sources=[SourceRead.model_validate(row) for row in rows],
        next_cursor=encode_cursor({"at": last.submitted_at.isoformat(), "id": str(last.id)})
        if last
        else None,
        has_more=has_more,
    )
