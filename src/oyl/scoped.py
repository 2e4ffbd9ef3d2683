"""The base of every tenant repository: queries that cannot leave the caller's tenant.

A repository is built from a session and the caller's tenant id, and every statement it runs
starts from ``self.select(Model)``, which already carries ``Model.tenant_id == tenant``. Looking
up another tenant's id therefore finds nothing, and the route answers 404 as for an id that
never existed: existence does not leak.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from oyl.pagination import Paging
from servicekit.errors import Conflict

Row = TypeVar("Row")


class TenantRepository:
    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def select(self, model: type[Row]) -> Select[tuple[Row]]:
        return select(model).where(model.tenant_id == self.tenant_id)  # type: ignore[attr-defined]

    async def get(self, model: type[Row], row_id: uuid.UUID) -> Row | None:
        return await self.session.scalar(self.select(model).where(model.id == row_id))  # type: ignore[attr-defined]

    async def page(
        self, query: Select[Any], paging: Paging, *order_by: Any
    ) -> tuple[Sequence[Any], int]:
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.scalars(
            query.order_by(*order_by).limit(paging.limit).offset(paging.offset)
        )
        return rows.all(), int(total or 0)

    async def add(self, row: Any, *, conflict: str) -> None:
        """Insert ``row``; a unique-constraint violation (a name taken) is a 409 ``conflict``."""
        row.tenant_id = self.tenant_id
        self.session.add(row)
        await self.flush(conflict=conflict)

    async def flush(self, *, conflict: str) -> None:
        """Flush pending changes; a unique violation is a 409 (the transaction is then void)."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(conflict) from exc
