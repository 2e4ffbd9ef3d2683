"""What a tenant used, per day, against its quotas."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from oyl.identity.roles import Action
from oyl.tenancy import Caller, caller, oyl_of
from oyl.usage.repository import UsageRepository

router = APIRouter(prefix="/api/v1", tags=["usage"])


class DayUsage(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    queries: int
    prompt_tokens: int
    completion_tokens: int
    documents_ingested: int
    chunks_embedded: int


class UsageReport(BaseModel):
    documents: int
    max_documents: int
    storage_bytes: int
    max_storage_bytes: int
    tokens_today: int
    max_tokens_per_day: int
    days: list[DayUsage]


@router.get("/usage")
async def usage(
    request: Request,
    days: int = Query(30, ge=1, le=366),
    who: Caller = Depends(caller(Action.manage)),
) -> UsageReport:
    """Documents and storage against the quotas, and the daily counters of the last ``days``."""
    async with oyl_of(request).db.session() as session:
        usage = UsageRepository(session, who.tenant_id)
        tenant = await usage.tenant()
        documents, stored = await usage.stored()
        rows = await usage.days(days)
        tokens = await usage.tokens_today()
    return UsageReport(
        documents=documents,
        max_documents=tenant.max_documents,
        storage_bytes=stored,
        max_storage_bytes=tenant.max_storage_bytes,
        tokens_today=tokens,
        max_tokens_per_day=tenant.max_tokens_per_day,
        days=[DayUsage.model_validate(row) for row in rows],
    )
