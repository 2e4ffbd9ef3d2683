"""``/v1/agents`` and ``/v1/keys``: agents (public fields), key issue, rotation, revocation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.agents import service
from phiacta.agents.schemas import (
    AgentCreate,
    AgentCreated,
    AgentRead,
    IssuedKey,
    KeyCreate,
    KeyRead,
)
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(prefix="/v1", tags=["agents"], dependencies=RATE_LIMITED)


@router.post("/agents", status_code=201, response_model=AgentCreated, operation_id="create_agent")
async def create_agent(
    body: AgentCreate,
    actor: Actor = Depends(actor_with(scopes.ADMIN)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> AgentCreated:
    """Create an agent and its first API key (shown once). Admin only."""
    async with phiacta.db.session() as session:
        return await service.create_agent(session, phiacta.api_keys, body, actor)


@router.get("/agents/me", response_model=AgentRead, operation_id="get_me")
async def get_me(
    actor: Actor = Depends(actor_with()), phiacta: Phiacta = Depends(phiacta_of)
) -> AgentRead:
    async with phiacta.db.session() as session:
        return AgentRead.model_validate(await service.get_agent(session, actor.agent_id))


@router.get("/agents/{agent_id}", response_model=AgentRead, operation_id="get_agent")
async def get_agent(
    agent_id: uuid.UUID,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> AgentRead:
    async with phiacta.db.session() as session:
        return AgentRead.model_validate(await service.get_agent(session, agent_id))


@router.get("/agents/{agent_id}/keys", response_model=list[KeyRead], operation_id="list_keys")
async def list_keys(
    agent_id: uuid.UUID,
    actor: Actor = Depends(actor_with()),
    phiacta: Phiacta = Depends(phiacta_of),
) -> list[KeyRead]:
    async with phiacta.db.session() as session:
        rows = await service.list_keys(session, agent_id, actor)
        return [KeyRead.model_validate(row) for row in rows]


@router.post(
    "/agents/{agent_id}/keys", status_code=201, response_model=IssuedKey, operation_id="issue_key"
)
async def issue_key(
    agent_id: uuid.UUID,
    body: KeyCreate,
    actor: Actor = Depends(actor_with()),
    phiacta: Phiacta = Depends(phiacta_of),
) -> IssuedKey:
    async with phiacta.db.session() as session:
        return await service.issue_key(session, phiacta.api_keys, agent_id, body, actor)


@router.post("/keys/{key_id}/rotate", response_model=IssuedKey, operation_id="rotate_key")
async def rotate_key(
    key_id: uuid.UUID,
    actor: Actor = Depends(actor_with()),
    phiacta: Phiacta = Depends(phiacta_of),
) -> IssuedKey:
    """A new key with the same scopes (shown once); the old one is revoked immediately."""
    async with phiacta.db.session() as session:
        return await service.rotate_key(session, phiacta.api_keys, key_id, actor)


@router.delete("/keys/{key_id}", status_code=204, operation_id="revoke_key")
async def revoke_key(
    key_id: uuid.UUID,
    actor: Actor = Depends(actor_with()),
    phiacta: Phiacta = Depends(phiacta_of),
) -> None:
    async with phiacta.db.session() as session:
        await service.revoke_key(session, key_id, actor)
