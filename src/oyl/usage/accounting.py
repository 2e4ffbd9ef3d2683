"""Per-tenant, per-UTC-day usage counters, bumped with one upsert from API and worker alike."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import Insert
from sqlalchemy.dialects.postgresql import insert

from oyl.models import DailyUsage

COUNTERS = (
    "queries",
    "prompt_tokens",
    "completion_tokens",
    "documents_ingested",
    "chunks_embedded",
)


def today() -> date:
    return datetime.now(UTC).date()


def increment(tenant_id: uuid.UUID, **amounts: int) -> Insert:
    """``INSERT ... ON CONFLICT DO UPDATE`` adding ``amounts`` to today's row of the tenant."""
    unknown = set(amounts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown usage counters {sorted(unknown)}")
    statement = insert(DailyUsage).values(tenant_id=tenant_id, day=today(), **amounts)
    table = DailyUsage.__table__.c
    return statement.on_conflict_do_update(
        index_elements=[table.tenant_id, table.day],
        set_={name: table[name] + statement.excluded[name] for name in amounts},
    )
