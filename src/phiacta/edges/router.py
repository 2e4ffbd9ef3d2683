"""``/v1/edges`` and ``/v1/edge-types``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.edges import service
from phiacta.edges.schemas import Direction, EdgeCreate, EdgePage, EdgeRead, EdgeTypeRead
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(prefix="/v1", tags=["edges"], dependencies=RATE_LIMITED)


@router.get("/edge-types", response_model=list[EdgeTypeRead], operation_id="list_edge_types")
async def list_edge_types(
    category: str | None = None,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> list[EdgeTypeRead]:
    async with phiacta.db.session() as session:
        return await service.list_edge_types(session, category)


@router.post("/edges", status_code=201, response_model=EdgeRead, operation_id="create_edge")
async def create_edge(
    body: EdgeCreate,
    actor: Actor = Depends(actor_with(scopes.CLAIMS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> EdgeRead:
    async with phiacta.db.session() as session:
        return EdgeRead.model_validate(await service.create_edge(session, body, actor))


@router.get("/edges", response_model=EdgePage, operation_id="list_edges")
async def list_edges(
    claim_id: uuid.UUID | None = None,
    direction: Direction = "both",
    edge_type: list[str] = Query(default_factory=list),
    stale: bool = Query(
        default=False,
        description="Only edges pinned to a deprecated or retracted version: to re-assert.",
    ),
    limit: int = Query(default=50, ge=1, le=200),
    cursor: str | None = None,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> EdgePage:
    async with phiacta.db.session() as session:
        return await service.list_page(
            session,
            claim_id=claim_id,
            direction=direction,
            edge_types=edge_type,
            stale=stale,
            cursor=cursor,
            limit=limit,
        )


@router.get("/edges/{edge_id}", response_model=EdgeRead, operation_id="get_edge")
async def get_edge(
    edge_id: uuid.UUID,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> EdgeRead:
    async with phiacta.db.session() as session:
        return EdgeRead.model_validate(await service.get_edge(session, edge_id))


@router.delete("/edges/{edge_id}", status_code=204, operation_id="delete_edge")
async def delete_edge(
    edge_id: uuid.UUID,
    actor: Actor = Depends(actor_with(scopes.CLAIMS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> None:
    async with phiacta.db.session() as session:
        await service.delete_edge(session, edge_id, actor)
