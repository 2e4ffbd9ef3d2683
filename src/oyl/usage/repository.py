"""What a tenant has stored and used: checked against its quotas, shown in its usage report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select

from oyl.models import DailyUsage, Document, Tenant
from oyl.scoped import TenantRepository
from oyl.usage.accounting import today


class UsageRepository(TenantRepository):
    async def tenant(self) -> Tenant:
        tenant = await self.session.get(Tenant, self.tenant_id)
        assert tenant is not None  # the caller's credential names an existing tenant
        return tenant

    async def stored(self) -> tuple[int, int]:
        """(documents, stored bytes) of the tenant."""
        row = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(Document.size_bytes), 0)).where(
                    Document.tenant_id == self.tenant_id
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def tokens_today(self) -> int:
        used = await self.session.scalar(
            select(DailyUsage.prompt_tokens + DailyUsage.completion_tokens).where(
                DailyUsage.tenant_id == self.tenant_id, DailyUsage.day == today()
            )
        )
        return int(used or 0)

    async def days(self, count: int) -> Sequence[DailyUsage]:
        """The last ``count`` days with any use, newest first."""
        rows = await self.session.scalars(
            self.select(DailyUsage)
            .where(DailyUsage.day > today() - timedelta(days=count))
            .order_by(DailyUsage.day.desc())
        )
        return rows.all()
