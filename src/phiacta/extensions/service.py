"""Extension use cases. Registering creates the extension's own agent and its key (shown once)
with scopes derived from the declared capabilities; deregistering and rotating revoke at once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.repository import record
from phiacta.errors import conflict, error, forbidden, validation_failed
from phiacta.extensions import repository
from phiacta.extensions.manifest import Manifest, ManifestPatch, manifest_problems, scopes_for
from phiacta.extensions.schemas import (
    ExtensionDetail,
    ExtensionHealth,
    ExtensionSummary,
    Registered,
    RotatedKey,
)
from phiacta.models import Agent, ApiKey, Extension
from phiacta.outbound import OutboundPolicy
from servicekit.auth import ApiKeyStore
from servicekit.errors import ServiceError


def extension_not_found(extension_id: str) -> ServiceError:
    return error(404, "EXTENSION_NOT_FOUND", f"Extension {extension_id!r} not found")


def summary(row: Extension) -> ExtensionSummary:
    return ExtensionSummary(
        extension_id=row.id,
        name=row.name,
        version=row.version,
        type=row.extension_type,
        description=row.description,
        status=row.status,
        verified=row.verified,
        capabilities=row.manifest.get("capabilities", {}),
    )


def detail(row: Extension) -> ExtensionDetail:
    return ExtensionDetail(
        **summary(row).model_dump(),
        agent_id=row.agent_id,
        manifest=row.manifest,
        registered_at=row.registered_at,
        updated_at=row.updated_at,
    )


def _refuse_blocked_urls(policy: OutboundPolicy, manifest: Manifest | ManifestPatch) -> None:
    policy.refuse_blocked(
        {
            "health_check_url": _text(manifest.health_check_url),
            "webhook_url": _text(manifest.webhook_url),
        }
    )


def _text(url: object) -> str | None:
    return None if url is None else str(url)


async def register(
    session: AsyncSession,
    keys: ApiKeyStore[ApiKey],
    manifest: Manifest,
    actor: Actor,
    policy: OutboundPolicy,
) -> Registered:
    _refuse_blocked_urls(policy, manifest)
    problems = manifest_problems(manifest, await repository.edge_type_names(session))
    if problems:
        raise validation_failed(problems)
    if await repository.get(session, manifest.extension_id) is not None:
        raise conflict(f"Extension {manifest.extension_id!r} is already registered")
    agent = Agent(agent_type="extension", name=manifest.name, external_id=manifest.extension_id)
    session.add(agent)
    await session.flush()
    extension = Extension(
        id=manifest.extension_id,
        agent_id=agent.id,
        registered_by=actor.agent_id,
        name=manifest.name,
        version=manifest.version,
        extension_type=manifest.type,
        description=manifest.description,
        manifest=manifest.model_dump(mode="json"),
    )
    session.add(extension)
    await session.flush()
    await session.refresh(extension)
    granted = scopes_for(manifest)
    key = await keys.create(scopes=granted, session=session, agent_id=agent.id, name="extension")
    await record(
        session, actor, "extension.register", "extension", extension.id, after=extension.manifest
    )
    return Registered(
        extension_id=extension.id,
        agent_id=agent.id,
        api_key=key.plaintext,
        status=extension.status,
        scopes=granted,
        registered_at=extension.registered_at,
    )


async def get(session: AsyncSession, extension_id: str, *, lock: bool = False) -> Extension:
    row = await repository.get(session, extension_id, lock=lock)
    if row is None:
        raise extension_not_found(extension_id)
    return row


def _check_manager(row: Extension, actor: Actor) -> None:
    if not (actor.is_admin or actor.agent_id in {row.registered_by, row.agent_id}):
        raise forbidden("Only an admin, the registrant or the extension itself manages it")


async def update(
    session: AsyncSession,
    extension_id: str,
    patch: ManifestPatch,
    actor: Actor,
    policy: OutboundPolicy,
) -> Extension:
    _refuse_blocked_urls(policy, patch)
    row = await get(session, extension_id, lock=True)
    _check_manager(row, actor)
    changes = patch.model_dump(mode="json", exclude_unset=True)
    row.manifest = {**row.manifest, **changes}
    if patch.version is not None:
        row.version = patch.version
    if "description" in changes:
        row.description = patch.description
    row.updated_at = datetime.now(UTC)
    await session.flush()
    await record(session, actor, "extension.update", "extension", row.id, after=changes)
    return row


async def deregister(session: AsyncSession, extension_id: str, actor: Actor) -> None:
    row = await get(session, extension_id, lock=True)
    _check_manager(row, actor)
    await repository.revoke_keys(session, row.agent_id)  # its in-flight calls now get 401
    row.status = "inactive"
    row.updated_at = datetime.now(UTC)
    await record(session, actor, "extension.deregister", "extension", row.id)


async def rotate_key(
    session: AsyncSession, keys: ApiKeyStore[ApiKey], extension_id: str, actor: Actor
) -> RotatedKey:
    row = await get(session, extension_id, lock=True)
    _check_manager(row, actor)
    if row.status == "inactive":
        raise conflict("A deregistered extension gets no keys")
    await repository.revoke_keys(session, row.agent_id)
    granted = scopes_for(Manifest.model_validate(row.manifest))
    key = await keys.create(
        scopes=granted, session=session, agent_id=row.agent_id, name="extension"
    )
    await record(session, actor, "extension.rotate_key", "extension", row.id)
    return RotatedKey(extension_id=row.id, api_key=key.plaintext, scopes=granted)


def health(row: Extension) -> ExtensionHealth:
    uptime = None
    if row.status == "active" and row.last_ok_at is not None:
        uptime = (datetime.now(UTC) - row.last_ok_at).total_seconds()
    return ExtensionHealth(
        extension_id=row.id,
        status=row.status,
        last_check=row.last_check_at,
        uptime_seconds=uptime,
        consecutive_failures=row.consecutive_failures,
    )
