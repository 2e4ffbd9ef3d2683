"""``/v1/extensions``: register (key shown once), discover, read, update, deregister, rotate."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.extensions import repository, service
from phiacta.extensions.manifest import Manifest, ManifestPatch
from phiacta.extensions.schemas import (
    ExtensionDetail,
    ExtensionHealth,
    ExtensionList,
    Registered,
    RotatedKey,
)
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(prefix="/v1/extensions", tags=["extensions"], dependencies=RATE_LIMITED)


@router.post(
    "/register", status_code=201, response_model=Registered, operation_id="register_extension"
)
async def register_extension(
    body: Manifest,
    actor: Actor = Depends(actor_with(scopes.EXTENSIONS_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> Registered:
    async with phiacta.db.session() as session:
        return await service.register(
            session, phiacta.api_keys, body, actor, phiacta.settings.outbound_policy
        )


@router.get("", response_model=ExtensionList, operation_id="list_extensions")
async def list_extensions(
    type: Literal["input", "output"] | None = None,
    status: Literal["active", "degraded", "inactive"] | None = None,
    verified: bool | None = None,
    capability: Literal["can_write", "can_read", "creates_artifacts"] | None = None,
    _: Actor = Depends(actor_with(scopes.EXTENSIONS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ExtensionList:
    async with phiacta.db.session() as session:
        rows = await repository.listing(
            session, extension_type=type, status=status, verified=verified, capability=capability
        )
        return ExtensionList(extensions=[service.summary(row) for row in rows])


@router.get("/{extension_id}", response_model=ExtensionDetail, operation_id="get_extension")
async def get_extension(
    extension_id: str,
    _: Actor = Depends(actor_with(scopes.EXTENSIONS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ExtensionDetail:
    async with phiacta.db.session() as session:
        return service.detail(await service.get(session, extension_id))


@router.patch("/{extension_id}", response_model=ExtensionDetail, operation_id="update_extension")
async def update_extension(
    extension_id: str,
    body: ManifestPatch,
    actor: Actor = Depends(actor_with(scopes.EXTENSIONS_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ExtensionDetail:
    async with phiacta.db.session() as session:
        policy = phiacta.settings.outbound_policy
        return service.detail(await service.update(session, extension_id, body, actor, policy))


@router.delete("/{extension_id}", status_code=204, operation_id="deregister_extension")
async def deregister_extension(
    extension_id: str,
    actor: Actor = Depends(actor_with(scopes.EXTENSIONS_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> None:
    """Revokes the extension's keys immediately and hides it from discovery."""
    async with phiacta.db.session() as session:
        await service.deregister(session, extension_id, actor)


@router.post(
    "/{extension_id}/rotate-key", response_model=RotatedKey, operation_id="rotate_extension_key"
)
async def rotate_extension_key(
    extension_id: str,
    actor: Actor = Depends(actor_with(scopes.EXTENSIONS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> RotatedKey:
    """A new key (shown once); every earlier key of the extension is revoked at once."""
    async with phiacta.db.session() as session:
        return await service.rotate_key(session, phiacta.api_keys, extension_id, actor)


@router.get(
    "/{extension_id}/health", response_model=ExtensionHealth, operation_id="extension_health"
)
async def extension_health(
    extension_id: str,
    _: Actor = Depends(actor_with(scopes.EXTENSIONS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ExtensionHealth:
    async with phiacta.db.session() as session:
        return service.health(await service.get(session, extension_id))
