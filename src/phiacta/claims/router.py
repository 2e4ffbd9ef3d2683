"""``/v1/claims``: create, list (filters, cursor), get (version, includes), edit, retract."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.claims.repository import ClaimFilters
from phiacta.claims.schemas import (
    ClaimCreate,
    ClaimPage,
    ClaimRead,
    ClaimRetract,
    ClaimRetracted,
    ClaimUpdate,
)
from phiacta.errors import error
from phiacta.namespaces.paths import parse_filter
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(prefix="/v1/claims", tags=["claims"], dependencies=RATE_LIMITED)

INCLUDE = Query(
    default_factory=list,
    description="provenance, edges, reviews, artifacts, lineage (repeat or comma-separate)",
)


def _attrs_filter(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise error(400, "INVALID_PARAMETER", "attrs must be a JSON object", {"field": "attrs"})
    return value


@router.post("", status_code=201, response_model=ClaimRead, operation_id="create_claim")
async def create_claim(
    body: ClaimCreate,
    actor: Actor = Depends(actor_with(scopes.CLAIMS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ClaimRead:
    """Create version 1 of a new claim (bundles create many at once)."""
    return await phiacta.claims.create(body, actor)


@router.get("", response_model=ClaimPage, operation_id="list_claims")
async def list_claims(
    namespace: str | None = Query(default=None, description="A path; `path.*` for its subtree"),
    claim_type: str | None = None,
    status: str | None = None,
    created_by: uuid.UUID | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    lineage_id: uuid.UUID | None = None,
    latest_only: bool = True,
    attrs: str | None = Query(default=None, description='JSON containment, e.g. {"field":"x"}'),
    limit: int = Query(default=50, ge=1, le=200),
    cursor: str | None = None,
    include: list[str] = INCLUDE,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ClaimPage:
    space, subtree = parse_filter(namespace) if namespace else (None, False)
    filters = ClaimFilters(
        namespace=space,
        namespace_subtree=subtree,
        claim_type=claim_type,
        status=status,
        created_by=created_by,
        created_after=created_after,
        created_before=created_before,
        lineage_id=lineage_id,
        latest_only=latest_only,
        attrs=_attrs_filter(attrs),
    )
    return await phiacta.claims.list(filters, cursor=cursor, limit=limit, include=include)


@router.get("/{claim_id}", response_model=ClaimRead, operation_id="get_claim")
async def get_claim(
    claim_id: uuid.UUID,
    version: int | None = Query(default=None, ge=1),
    include: list[str] = INCLUDE,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ClaimRead:
    return await phiacta.claims.get(claim_id, version=version, include=include)


@router.patch("/{claim_id}", response_model=ClaimRead, operation_id="update_claim")
async def update_claim(
    claim_id: uuid.UUID,
    body: ClaimUpdate,
    actor: Actor = Depends(actor_with(scopes.CLAIMS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ClaimRead:
    """A new version (new id, same lineage, version + 1) superseding this one."""
    return await phiacta.claims.update(claim_id, body, actor)


@router.delete("/{claim_id}", response_model=ClaimRetracted, operation_id="retract_claim")
async def retract_claim(
    claim_id: uuid.UUID,
    body: ClaimRetract | None = Body(default=None),
    actor: Actor = Depends(actor_with(scopes.CLAIMS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ClaimRetracted:
    """Soft retraction: the claim stays readable with ``is_retracted: true``."""
    return await phiacta.claims.retract(claim_id, body or ClaimRetract(), actor)
