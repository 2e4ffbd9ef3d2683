"""``/v1/claims/{id}/evidence``: the evidence chains into a claim, and linking new evidence."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.evidence.schemas import EvidenceLink, EvidenceLinked, EvidenceOut
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(
    prefix="/v1/claims/{claim_id}/evidence", tags=["evidence"], dependencies=RATE_LIMITED
)


@router.get("", response_model=EvidenceOut, operation_id="get_evidence")
async def get_evidence(
    claim_id: uuid.UUID,
    relationship: Literal["supports", "contradicts", "corroborates", "all"] = "all",
    min_strength: float = Query(default=0.0, ge=0, le=1),
    depth: int = Query(default=1, ge=1, le=5),
    include_retracted: bool = False,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> EvidenceOut:
    return await phiacta.evidence.evidence(
        claim_id,
        relationship=None if relationship == "all" else relationship,
        min_strength=min_strength,
        depth=depth,
        include_retracted=include_retracted,
    )


@router.post("", status_code=201, response_model=EvidenceLinked, operation_id="link_evidence")
async def link_evidence(
    claim_id: uuid.UUID,
    body: EvidenceLink,
    actor: Actor = Depends(actor_with(scopes.BUNDLES_WRITE, scopes.CLAIMS_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> EvidenceLinked:
    """An edge from ``source_claim_id`` to this claim (the edge type's rules apply)."""
    return await phiacta.evidence.link(claim_id, body, actor)
