"""Queries on webhooks, their deliveries and the fan-out cursor."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import EventCursor, Webhook, WebhookDelivery, event_log


async def get(session: AsyncSession, webhook_id: uuid.UUID) -> Webhook | None:
    return await session.get(Webhook, webhook_id)


async def owned_by(session: AsyncSession, owner_id: uuid.UUID | None) -> list[Webhook]:
    query = select(Webhook).order_by(Webhook.created_at)
    if owner_id is not None:
        query = query.where(Webhook.owner_id == owner_id)
    return list(await session.scalars(query))


async def deliveries(
    session: AsyncSession, webhook_id: uuid.UUID, limit: int
) -> list[WebhookDelivery]:
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.event_seq.desc())
        .limit(limit)
    )
    return list(rows)


async def lock_cursor(session: AsyncSession, consumer: str) -> EventCursor | None:
    """The consumer's cursor, locked; None while another replica holds it (it fans out now)."""
    await session.execute(insert(EventCursor).values(consumer=consumer).on_conflict_do_nothing())
    return await session.scalar(
        select(EventCursor)
        .where(EventCursor.consumer == consumer)
        .with_for_update(skip_locked=True)
    )


async def events_after(session: AsyncSession, stream: str, seq: int, limit: int) -> list[tuple]:
    t = event_log
    rows = await session.execute(
        select(t.c.seq, t.c.type, t.c.data, t.c.created_at)
        .where(t.c.stream == stream, t.c.seq > seq)
        .order_by(t.c.seq)
        .limit(limit)
    )
    return [tuple(row) for row in rows]


async def event(session: AsyncSession, stream: str, seq: int) -> tuple | None:
    t = event_log
    row = (
        await session.execute(
            select(t.c.seq, t.c.type, t.c.data, t.c.created_at).where(
                t.c.stream == stream, t.c.seq == seq
            )
        )
    ).first()
    return tuple(row) if row else None


async def active_webhooks(session: AsyncSession) -> list[Webhook]:
    return list(await session.scalars(select(Webhook).where(Webhook.status != "disabled")))


async def add_delivery(
    session: AsyncSession, webhook_id: uuid.UUID, seq: int, event_type: str, due_at: datetime
) -> None:
    await session.execute(
        insert(WebhookDelivery)
        .values(webhook_id=webhook_id, event_seq=seq, event_type=event_type, next_attempt_at=due_at)
        .on_conflict_do_nothing()
    )


async def delivery_for_update(
    session: AsyncSession, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id, with_for_update=True)


async def due(session: AsyncSession, now: datetime, limit: int) -> list[WebhookDelivery]:
    """Pending deliveries whose time has come, locked so that replicas share the work."""
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.event_seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
