"""Webhook management: an agent sees and changes only its own webhooks (admin: all)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.repository import record
from phiacta.errors import not_found
from phiacta.models import Webhook, WebhookDelivery
from phiacta.outbound import OutboundPolicy
from phiacta.webhooks import repository
from phiacta.webhooks.schemas import WebhookCreate, WebhookPatch, WebhookRead


def read(row: Webhook) -> WebhookRead:
    return WebhookRead(
        webhook_id=row.id,
        url=row.url,
        event_types=list(row.event_types),
        filters=row.filters,
        status=row.status,
        created_at=row.created_at,
    )


async def create(
    session: AsyncSession, data: WebhookCreate, actor: Actor, policy: OutboundPolicy
) -> Webhook:
    policy.refuse_blocked({"url": str(data.url)})
    row = Webhook(
        owner_id=actor.agent_id,
        url=str(data.url),
        event_types=list(data.event_types),
        filters=data.filters.model_dump(),
        secret=data.secret,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    await record(session, actor, "webhook.create", "webhook", row.id, after=read(row).model_dump())
    return row


async def get(session: AsyncSession, webhook_id: uuid.UUID, actor: Actor) -> Webhook:
    row = await repository.get(session, webhook_id)
    # Someone else's webhook is as invisible as a missing one.
    if row is None or (row.owner_id != actor.agent_id and not actor.is_admin):
        raise not_found("Webhook", webhook_id)
    return row


async def listing(session: AsyncSession, actor: Actor) -> list[Webhook]:
    return await repository.owned_by(session, None if actor.is_admin else actor.agent_id)


async def update(
    session: AsyncSession,
    webhook_id: uuid.UUID,
    data: WebhookPatch,
    actor: Actor,
    policy: OutboundPolicy,
) -> Webhook:
    policy.refuse_blocked({"url": None if data.url is None else str(data.url)})
    row = await get(session, webhook_id, actor)
    if data.url is not None:
        row.url = str(data.url)
    if data.event_types is not None:
        row.event_types = list(data.event_types)
    if data.filters is not None:
        row.filters = data.filters.model_dump()
    if data.secret is not None:
        row.secret = data.secret
    if data.status is not None:
        row.status, row.failing_since = data.status, None
    row.updated_at = datetime.now(UTC)
    await session.flush()
    await record(session, actor, "webhook.update", "webhook", row.id, after=read(row).model_dump())
    return row


async def delete(session: AsyncSession, webhook_id: uuid.UUID, actor: Actor) -> None:
    row = await get(session, webhook_id, actor)
    await session.delete(row)
    await session.flush()
    await record(session, actor, "webhook.delete", "webhook", webhook_id)


async def deliveries(
    session: AsyncSession, webhook_id: uuid.UUID, actor: Actor, limit: int
) -> list[WebhookDelivery]:
    await get(session, webhook_id, actor)
    return await repository.deliveries(session, webhook_id, limit)
