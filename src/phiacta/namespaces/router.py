"""``/v1/namespaces``: list (prefix, cursor), create, get by path or id."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.namespaces import service
from phiacta.namespaces.schemas import NamespaceCreate, NamespacePage, NamespaceRead
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(prefix="/v1/namespaces", tags=["namespaces"], dependencies=RATE_LIMITED)


@router.get("", response_model=NamespacePage, operation_id="list_namespaces")
async def list_namespaces(
    prefix: str | None = Query(default=None, description="A path: it and its subtree"),
    limit: int = Query(default=50, ge=1, le=200),
    cursor: str | None = None,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> NamespacePage:
    async with phiacta.db.session() as session:
        return await service.list_page(session, prefix=prefix, cursor=cursor, limit=limit)


@router.post("", status_code=201, response_model=NamespaceRead, operation_id="create_namespace")
async def create_namespace(
    body: NamespaceCreate,
    actor: Actor = Depends(actor_with(scopes.CLAIMS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> NamespaceRead:
    async with phiacta.db.session() as session:
        return NamespaceRead.model_validate(await service.create(session, body, actor))


@router.get("/{ref}", response_model=NamespaceRead, operation_id="get_namespace")
async def get_namespace(
    ref: str,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> NamespaceRead:
    async with phiacta.db.session() as session:
        return NamespaceRead.model_validate(await service.get(session, ref))
