"""Queries on agents and API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import Agent, ApiKey


async def get_agent(session: AsyncSession, agent_id: uuid.UUID) -> Agent | None:
    return await session.get(Agent, agent_id)


async def get_key(session: AsyncSession, key_id: uuid.UUID, *, lock: bool = False) -> ApiKey | None:
    return await session.get(ApiKey, key_id, with_for_update=lock)


async def keys_of(session: AsyncSession, agent_id: uuid.UUID) -> list[ApiKey]:
    rows = await session.scalars(
        select(ApiKey).where(ApiKey.agent_id == agent_id).order_by(ApiKey.created_at)
    )
    return list(rows)
