"""Queries on users."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from curiouscore.models import User


async def by_email(db: AsyncSession, email: str) -> User | None:
    return await db.scalar(select(User).where(User.email == email))


async def by_id(db: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
    return await db.get(User, user_id, with_for_update=for_update)
