"""``/v1/query/search``, ``/v1/query/traverse`` and ``/v1/query/view``."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.query.schemas import SearchRequest, SearchResponse, TraverseRequest, TraverseResponse
from phiacta.query.views import ViewRequest, ViewResponse
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(prefix="/v1/query", tags=["query"], dependencies=RATE_LIMITED)


@router.post("/search", response_model=SearchResponse, operation_id="search")
async def search(
    body: SearchRequest,
    _: Actor = Depends(actor_with(scopes.SEARCH_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> SearchResponse:
    """Hybrid (Reciprocal Rank Fusion of semantic and full-text), semantic or full-text search
    over the latest version of each claim."""
    return await phiacta.query.search(body)


@router.post("/traverse", response_model=TraverseResponse, operation_id="traverse")
async def traverse(
    body: TraverseRequest,
    _: Actor = Depends(actor_with(scopes.SEARCH_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> TraverseResponse:
    """Breadth-first from ``start``; each node once at its smallest depth; cycle-safe."""
    return await phiacta.query.traverse(body)


@router.post("/view", response_model=ViewResponse, operation_id="view")
async def view(
    body: ViewRequest,
    _: Actor = Depends(actor_with(scopes.SEARCH_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ViewResponse:
    """paper, proof_tree, comparison, evidence_map or lineage, composed from the graph."""
    return await phiacta.views.view(body)
