"""Queries on users and their API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelforge.models import ApiToken, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def by_login(self, login: str) -> User | None:
        return await self.session.scalar(
            select(User).where(func.lower(User.login) == login.lower())
        )

    async def by_github_id(self, github_id: int) -> User | None:
        return await self.session.scalar(
            select(User).where(User.github_id == github_id).with_for_update()
        )

    async def logins_of(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not user_ids:
            return {}
        rows = await self.session.execute(
            select(User.id, User.login).where(User.id.in_(set(user_ids)))
        )
        return {user_id: login for user_id, login in rows.all()}

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(User)) or 0

    async def tokens_of(self, owner_id: uuid.UUID) -> Sequence[ApiToken]:
        rows = await self.session.scalars(
            select(ApiToken)
            .where(ApiToken.owner_id == owner_id)
            .order_by(ApiToken.created_at.desc())
        )
        return rows.all()

    async def token(self, owner_id: uuid.UUID, token_id: uuid.UUID) -> ApiToken | None:
        return await self.session.scalar(
            select(ApiToken).where(ApiToken.owner_id == owner_id, ApiToken.id == token_id)
        )
