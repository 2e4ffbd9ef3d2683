"""Queries on namespaces."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import Namespace


async def by_id(session: AsyncSession, namespace_id: uuid.UUID) -> Namespace | None:
    return await session.get(Namespace, namespace_id)


async def by_path(session: AsyncSession, path: str) -> Namespace | None:
    return await session.scalar(select(Namespace).where(Namespace.path == path))


async def insert_if_absent(
    session: AsyncSession, *, name: str, path: str, parent_id: uuid.UUID | None
) -> Namespace:
    """The namespace at ``path``, created when missing (safe against a concurrent creator)."""
    await session.execute(
        insert(Namespace)
        .values(name=name, path=path, parent_id=parent_id)
        .on_conflict_do_nothing(index_elements=["path"])
    )
    found = await by_path(session, path)
    assert found is not None
    return found


async def page(
    session: AsyncSession, *, prefix: str | None, after: str | None, limit: int
) -> list[Namespace]:
    query = select(Namespace).order_by(Namespace.path).limit(limit)
    if prefix:
        query = query.where(
            or_(Namespace.path == prefix, Namespace.path.startswith(prefix + ".", autoescape=True))
        )
    if after is not None:
        query = query.where(Namespace.path > after)
    return list(await session.scalars(query))
