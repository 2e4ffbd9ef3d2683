"""Queries on the extension registry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import ApiKey, EdgeType, Extension


async def get(session: AsyncSession, extension_id: str, *, lock: bool = False) -> Extension | None:
    return await session.get(Extension, extension_id, with_for_update=lock)


async def of_agent(session: AsyncSession, agent_id: uuid.UUID) -> Extension | None:
    return await session.scalar(select(Extension).where(Extension.agent_id == agent_id))


async def due_health_checks(
    session: AsyncSession, checked_before: datetime, limit: int
) -> list[Extension]:
    """Extensions with a health check URL and a live key, not checked since ``checked_before``,
    locked so that replicas share the checks."""
    live_key = select(ApiKey.id).where(
        ApiKey.agent_id == Extension.agent_id, ApiKey.revoked_at.is_(None)
    )
    query = (
        select(Extension)
        .where(
            Extension.manifest["health_check_url"].astext.is_not(None),
            or_(Extension.last_check_at.is_(None), Extension.last_check_at < checked_before),
            live_key.exists(),
        )
        .order_by(Extension.last_check_at.nulls_first(), Extension.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(await session.scalars(query))


async def edge_type_names(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(EdgeType.name)))


async def listing(
    session: AsyncSession,
    *,
    extension_type: str | None,
    status: str | None,
    verified: bool | None,
    capability: str | None,
) -> list[Extension]:
    query = select(Extension).order_by(Extension.id)
    if extension_type is not None:
        query = query.where(Extension.extension_type == extension_type)
    # Inactive extensions are hidden from discovery unless asked for (spec §8.1).
    query = query.where(
        Extension.status == status if status is not None else Extension.status != "inactive"
    )
    if verified is not None:
        query = query.where(Extension.verified == verified)
    if capability is not None:
        query = query.where(Extension.manifest["capabilities"][capability].as_boolean())
    return list(await session.scalars(query))


async def revoke_keys(session: AsyncSession, agent_id: uuid.UUID) -> None:
    await session.execute(
        update(ApiKey)
        .where(ApiKey.agent_id == agent_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
