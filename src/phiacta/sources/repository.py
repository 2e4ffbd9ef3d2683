"""Queries on sources."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import Source


async def get(session: AsyncSession, source_id: uuid.UUID) -> Source | None:
    return await session.get(Source, source_id)


async def page(
    session: AsyncSession,
    *,
    source_type: str | None,
    external_ref: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Source]:
    query = select(Source).order_by(Source.submitted_at.desc(), Source.id.desc()).limit(limit)
    if source_type is not None:
        query = query.where(Source.source_type == source_type)
    if external_ref is not None:
        query = query.where(Source.external_ref == external_ref)
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(Source.submitted_at < at, and_(Source.submitted_at == at, Source.id < last_id))
        )
    return list(await session.scalars(query))
