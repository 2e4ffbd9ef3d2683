"""Every query of the registry; reads take the actor's filter so access is part of the query."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from modelforge.models import MLModel, ModelAlias, ModelStatus, User, Visibility


@dataclass(frozen=True)
class ModelFilters:
    name: str | None = None
    status: ModelStatus | None = None
    visibility: Visibility | None = None
    owner_login: str | None = None


class RegistryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, model_id: uuid.UUID, access: ColumnElement[bool], *, for_update: bool = False
    ) -> MLModel | None:
        statement = select(MLModel).where(MLModel.id == model_id, access)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def page(
        self, access: ColumnElement[bool], filters: ModelFilters, *, offset: int, limit: int
    ) -> tuple[Sequence[MLModel], int]:
        conditions = [access]
        if filters.name is not None:
            conditions.append(MLModel.name == filters.name)
        if filters.status is not None:
            conditions.append(MLModel.status == filters.status)
        if filters.visibility is not None:
            conditions.append(MLModel.visibility == filters.visibility)
        if filters.owner_login is not None:
            owner = select(User.id).where(User.login == filters.owner_login).scalar_subquery()
            conditions.append(MLModel.owner_id == owner)
        total = (
            await self.session.scalar(select(func.count()).select_from(MLModel).where(*conditions))
            or 0
        )
        rows = await self.session.scalars(
            select(MLModel)
            .where(*conditions)
            .order_by(MLModel.created_at.desc(), MLModel.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return rows.all(), total

    async def exists_version(
        self, owner_id: uuid.UUID, name: str, version: str, *, excluding: uuid.UUID | None = None
    ) -> bool:
        statement = select(MLModel.id).where(
            MLModel.owner_id == owner_id, MLModel.name == name, MLModel.version == version
        )
        if excluding is not None:
            statement = statement.where(MLModel.id != excluding)
        return (await self.session.scalar(statement.limit(1))) is not None

    async def with_same_file(
        self, owner_id: uuid.UUID, file_hash: str, *, excluding: uuid.UUID
    ) -> MLModel | None:
        return await self.session.scalar(
            select(MLModel)
            .where(
                MLModel.owner_id == owner_id,
                MLModel.file_hash == file_hash,
                MLModel.id != excluding,
            )
            .limit(1)
        )

    async def versions(
        self, owner_id: uuid.UUID, name: str, access: ColumnElement[bool]
    ) -> Sequence[MLModel]:
        rows = await self.session.scalars(
            select(MLModel).where(MLModel.owner_id == owner_id, MLModel.name == name, access)
        )
        return rows.all()

    async def owners_of_name(self, name: str, access: ColumnElement[bool]) -> list[uuid.UUID]:
        rows = await self.session.scalars(
            select(MLModel.owner_id).where(MLModel.name == name, access).distinct()
        )
        return list(rows.all())

    async def user_id_by_login(self, login: str) -> uuid.UUID | None:
        return await self.session.scalar(select(User.id).where(User.login == login))

    async def owner_login(self, owner_id: uuid.UUID) -> str | None:
        return await self.session.scalar(select(User.login).where(User.id == owner_id))

    async def alias(self, owner_id: uuid.UUID, name: str, alias: str) -> ModelAlias | None:
        return await self.session.scalar(
            select(ModelAlias).where(
                ModelAlias.owner_id == owner_id,
                ModelAlias.model_name == name,
                ModelAlias.alias == alias,
            )
        )

    async def aliases(self, owner_id: uuid.UUID, name: str) -> Sequence[ModelAlias]:
        rows = await self.session.scalars(
            select(ModelAlias)
            .where(ModelAlias.owner_id == owner_id, ModelAlias.model_name == name)
            .order_by(ModelAlias.alias)
        )
        return rows.all()

    async def drop_aliases_of(self, model_id: uuid.UUID) -> None:
        await self.session.execute(delete(ModelAlias).where(ModelAlias.model_id == model_id))
