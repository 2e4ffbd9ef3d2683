"""``/v1/claims/{id}/confidence`` and ``.../confidence/distribution``."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Depends, Query

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.confidence.aggregation import Model
from phiacta.confidence.schemas import ConfidenceOut, DistributionOut
from phiacta.errors import error
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(
    prefix="/v1/claims/{claim_id}/confidence", tags=["confidence"], dependencies=RATE_LIMITED
)


def _trust_profile(raw: str | None) -> dict[uuid.UUID, float]:
    """``{"<agent id>": weight, ...}`` as JSON."""
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
        return {uuid.UUID(key): float(weight) for key, weight in value.items()}
    except (ValueError, TypeError, AttributeError):
        raise error(
            400,
            "INVALID_PARAMETER",
            'trust_profile must be a JSON object {"<agent id>": weight}',
            {"field": "trust_profile"},
        ) from None


@router.get("", response_model=ConfidenceOut, operation_id="get_confidence")
async def get_confidence(
    claim_id: uuid.UUID,
    model: Model = "weighted_reviewer",
    reviewer_filter: list[str] = Query(
        default_factory=list, description="Only reviewers of these agent types (human, ai...)"
    ),
    trust_profile: str | None = Query(default=None, description="JSON: agent id -> weight"),
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ConfidenceOut:
    return await phiacta.confidence.confidence(
        claim_id,
        model,
        trust_profile=_trust_profile(trust_profile),
        reviewer_types=frozenset(reviewer_filter),
    )


@router.get("/distribution", response_model=DistributionOut, operation_id="get_distribution")
async def get_distribution(
    claim_id: uuid.UUID,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> DistributionOut:
    return await phiacta.confidence.distribution(claim_id)
