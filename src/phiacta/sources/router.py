"""``/v1/sources``: list (type, external ref, cursor), create, get."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of
from phiacta.sources import service
from phiacta.sources.schemas import SourceCreate, SourcePage, SourceRead

router = APIRouter(prefix="/v1/sources", tags=["sources"], dependencies=RATE_LIMITED)


@router.get("", response_model=SourcePage, operation_id="list_sources")
async def list_sources(
    source_type: str | None = None,
    external_ref: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
    cursor: str | None = None,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> SourcePage:
    async with phiacta.db.session() as session:
        return await service.list_page(
            session, source_type=source_type, external_ref=external_ref, cursor=cursor, limit=limit
        )


@router.post("", status_code=201, response_model=SourceRead, operation_id="create_source")
async def create_source(
    body: SourceCreate,
    actor: Actor = Depends(actor_with(scopes.CLAIMS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> SourceRead:
    async with phiacta.db.session() as session:
        return SourceRead.model_validate(await service.create(session, body, actor))


@router.get("/{source_id}", response_model=SourceRead, operation_id="get_source")
async def get_source(
    source_id: uuid.UUID,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> SourceRead:
    async with phiacta.db.session() as session:
        return SourceRead.model_validate(await service.get(session, source_id))
