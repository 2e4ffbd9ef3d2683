"""``/v1/webhooks``: an agent's webhooks, their deliveries, and a signed test call."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of
from phiacta.webhooks import service
from phiacta.webhooks.schemas import DeliveryRead, WebhookCreate, WebhookPatch, WebhookRead

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"], dependencies=RATE_LIMITED)
MANAGE = actor_with(scopes.WEBHOOKS_MANAGE)


@router.post("", status_code=201, response_model=WebhookRead, operation_id="create_webhook")
async def create_webhook(
    body: WebhookCreate, actor: Actor = Depends(MANAGE), phiacta: Phiacta = Depends(phiacta_of)
) -> WebhookRead:
    async with phiacta.db.session() as session:
        policy = phiacta.settings.outbound_policy
        return service.read(await service.create(session, body, actor, policy))


@router.get("", response_model=list[WebhookRead], operation_id="list_webhooks")
async def list_webhooks(
    actor: Actor = Depends(MANAGE), phiacta: Phiacta = Depends(phiacta_of)
) -> list[WebhookRead]:
    async with phiacta.db.session() as session:
        return [service.read(row) for row in await service.listing(session, actor)]


@router.get("/{webhook_id}", response_model=WebhookRead, operation_id="get_webhook")
async def get_webhook(
    webhook_id: uuid.UUID, actor: Actor = Depends(MANAGE), phiacta: Phiacta = Depends(phiacta_of)
) -> WebhookRead:
    async with phiacta.db.session() as session:
        return service.read(await service.get(session, webhook_id, actor))


@router.patch("/{webhook_id}", response_model=WebhookRead, operation_id="update_webhook")
async def update_webhook(
    webhook_id: uuid.UUID,
    body: WebhookPatch,
    actor: Actor = Depends(MANAGE),
    phiacta: Phiacta = Depends(phiacta_of),
) -> WebhookRead:
    async with phiacta.db.session() as session:
        policy = phiacta.settings.outbound_policy
        return service.read(await service.update(session, webhook_id, body, actor, policy))


@router.delete("/{webhook_id}", status_code=204, operation_id="delete_webhook")
async def delete_webhook(
    webhook_id: uuid.UUID, actor: Actor = Depends(MANAGE), phiacta: Phiacta = Depends(phiacta_of)
) -> None:
    async with phiacta.db.session() as session:
        await service.delete(session, webhook_id, actor)


@router.post("/{webhook_id}/test", operation_id="test_webhook")
async def test_webhook(
    webhook_id: uuid.UUID, actor: Actor = Depends(MANAGE), phiacta: Phiacta = Depends(phiacta_of)
) -> dict[str, Any]:
    async with phiacta.db.session() as session:
        hook = await service.get(session, webhook_id, actor)
    result = await phiacta.webhooks.send_test(hook)
    return {"delivered": result.delivered, "status_code": result.status_code, "error": result.error}


@router.get(
    "/{webhook_id}/deliveries", response_model=list[DeliveryRead], operation_id="list_deliveries"
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    limit: int = Query(default=50, ge=1, le=200),
    actor: Actor = Depends(MANAGE),
    phiacta: Phiacta = Depends(phiacta_of),
) -> list[DeliveryRead]:
    async with phiacta.db.session() as session:
        rows = await service.deliveries(session, webhook_id, actor, limit)
        return [DeliveryRead.model_validate(row) for row in rows]
