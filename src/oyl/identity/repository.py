"""Queries on tenants, users, memberships and API keys.

Membership and API-key queries take the tenant they act in and filter by it in SQL: a tenant's
administrator can list, change or revoke only that tenant's members and keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Row, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oyl.models import ApiKey, Membership, Tenant, User
from oyl.pagination import Paging


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.lower()))


async def tenant_name_taken(
    session: AsyncSession, name: str, *, other_than: uuid.UUID | None = None
) -> bool:
    query = select(Tenant.id).where(Tenant.name == name)
    if other_than is not None:
        query = query.where(Tenant.id != other_than)
    return (await session.scalar(query)) is not None


async def list_tenants(
    session: AsyncSession, paging: Paging, *, member: uuid.UUID | None = None
) -> tuple[Sequence[Tenant], int]:
    """All tenants (platform view), or those ``member`` belongs to; oldest first."""
    query = select(Tenant)
    if member is not None:
        query = query.join(Membership, Membership.tenant_id == Tenant.id).where(
            Membership.user_id == member
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Tenant.created_at, Tenant.id).limit(paging.limit).offset(paging.offset)
    )
    return rows.all(), int(total or 0)


async def role_of(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.tenant_id == tenant_id,
            Membership.user_id == user_id,
            User.disabled.is_(False),
        )
    )


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Row]:
    return (
        await session.execute(
            select(Membership.tenant_id, Tenant.name, Membership.role)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.user_id == user_id)
            .order_by(Tenant.name)
        )
    ).all()


async def list_members(
    session: AsyncSession, tenant_id: uuid.UUID, paging: Paging
) -> tuple[Sequence[Row], int]:
    where = Membership.tenant_id == tenant_id
    total = await session.scalar(select(func.count()).select_from(Membership).where(where))
    rows = await session.execute(
        select(User.id, User.email, User.display_name, Membership.role, Membership.created_at)
        .join(User, User.id == Membership.user_id)
        .where(where)
        .order_by(Membership.created_at, User.email)
        .limit(paging.limit)
        .offset(paging.offset)
    )
    return rows.all(), int(total or 0)


async def membership(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False
) -> Membership | None:
    query = select(Membership).where(
        Membership.tenant_id == tenant_id, Membership.user_id == user_id
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def owner_count(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.tenant_id == tenant_id, Membership.role == "owner")
    )
    return int(count or 0)


async def remove_membership(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await session.execute(
        delete(Membership).where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    )


async def list_api_keys(
    session: AsyncSession, tenant_id: uuid.UUID, paging: Paging
) -> tuple[Sequence[ApiKey], int]:
    where = ApiKey.tenant_id == tenant_id
    total = await session.scalar(select(func.count()).select_from(ApiKey).where(where))
    rows = await session.scalars(
        select(ApiKey)
        .where(where)
        .order_by(ApiKey.created_at.desc(), ApiKey.id)
        .limit(paging.limit)
        .offset(paging.offset)
    )
    return rows.all(), int(total or 0)


async def api_key(session: AsyncSession, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return await session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.id == key_id)
    )
