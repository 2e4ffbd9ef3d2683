"""Agent and API key use cases.

Keys are issued by an admin, or by an agent for itself with no more scopes than the key it is
using holds, so no key can mint a more powerful one. Rotation creates the new key and revokes
the old one in one transaction: the old key's next request is a 401.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from phiacta import scopes
from phiacta.actor import Actor
from phiacta.agents import repository
from phiacta.agents.schemas import AgentCreate, AgentCreated, AgentRead, IssuedKey, KeyCreate
from phiacta.audit.repository import record
from phiacta.budgets import STANDARD
from phiacta.errors import forbidden, not_found
from phiacta.models import Agent, ApiKey
from servicekit.auth import ApiKeyStore, CreatedApiKey


def issued(created: CreatedApiKey[ApiKey]) -> IssuedKey:
    row = created.row
    return IssuedKey(
        id=row.id,
        agent_id=row.agent_id,
        public_id=row.public_id,
        name=row.name,
        scopes=list(row.scopes),
        rate_tier=row.rate_tier,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        rotated_from=row.rotated_from,
        api_key=created.plaintext,
    )


async def create_agent(
    session: AsyncSession, keys: ApiKeyStore[ApiKey], data: AgentCreate, actor: Actor | None
) -> AgentCreated:
    """A new agent and, unless ``issue_key`` is false, its first key (``actor`` None: the CLI)."""
    agent = Agent(
        name=data.name,
        agent_type=data.agent_type,
        external_id=data.external_id,
        trust_score=data.trust_score,
        attrs=data.attrs,
    )
    session.add(agent)
    await session.flush()
    await session.refresh(agent)
    key = None
    if data.issue_key:
        created = await keys.create(
            scopes=data.scopes,
            session=session,
            agent_id=agent.id,
            name="initial",
            rate_tier=data.rate_tier,
        )
        key = issued(created)
    await record(
        session,
        actor,
        "agent.create",
        "agent",
        agent.id,
        after={"name": agent.name, "type": agent.agent_type, "key": key and str(key.id)},
    )
    return AgentCreated(agent=AgentRead.model_validate(agent), key=key)


async def get_agent(session: AsyncSession, agent_id: uuid.UUID) -> Agent:
    agent = await repository.get_agent(session, agent_id)
    if agent is None:
        raise not_found("Agent", agent_id)
    return agent


def _check_key_admin(actor: Actor, agent_id: uuid.UUID) -> None:
    if not actor.is_admin and actor.agent_id != agent_id:
        raise forbidden("Only an admin or the agent itself manages its keys")


async def issue_key(
    session: AsyncSession,
    keys: ApiKeyStore[ApiKey],
    agent_id: uuid.UUID,
    data: KeyCreate,
    actor: Actor,
) -> IssuedKey:
    await get_agent(session, agent_id)
    _check_key_admin(actor, agent_id)
    if not scopes.can_delegate(actor.scopes, data.scopes):
        raise forbidden("A key cannot grant scopes its issuer does not hold")
    if data.rate_tier != STANDARD and not actor.is_admin:
        raise forbidden("Only an admin grants a rate tier above standard")
    created = await keys.create(
        scopes=data.scopes,
        expires_at=data.expires_at,
        session=session,
        agent_id=agent_id,
        name=data.name,
        rate_tier=data.rate_tier,
    )
    await record(session, actor, "api_key.create", "api_key", created.row.id)
    return issued(created)


async def list_keys(session: AsyncSession, agent_id: uuid.UUID, actor: Actor) -> list[ApiKey]:
    await get_agent(session, agent_id)
    _check_key_admin(actor, agent_id)
    return await repository.keys_of(session, agent_id)


async def _own_key(session: AsyncSession, key_id: uuid.UUID, actor: Actor) -> ApiKey:
    key = await repository.get_key(session, key_id, lock=True)
    if key is None:
        raise not_found("API key", key_id)
    _check_key_admin(actor, key.agent_id)
    return key


async def rotate_key(
    session: AsyncSession, keys: ApiKeyStore[ApiKey], key_id: uuid.UUID, actor: Actor
) -> IssuedKey:
    old = await _own_key(session, key_id, actor)
    if old.revoked_at is not None:
        raise not_found("Active API key", key_id)
    created = await keys.create(
        scopes=old.scopes,
        expires_at=old.expires_at,
        session=session,
        agent_id=old.agent_id,
        name=old.name,
        rate_tier=old.rate_tier,
        rotated_from=old.id,
    )
    old.revoked_at = datetime.now(UTC)
    await record(session, actor, "api_key.rotate", "api_key", old.id, after=str(created.row.id))
    return issued(created)


async def revoke_key(session: AsyncSession, key_id: uuid.UUID, actor: Actor) -> None:
    key = await _own_key(session, key_id, actor)
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await record(session, actor, "api_key.revoke", "api_key", key.id)
