"""``/v1/claims/{id}/reviews``: list, and post (an upsert per reviewer: 201 new, 200 replaced)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.ratelimits import RATE_LIMITED
from phiacta.reviews import service
from phiacta.reviews.schemas import ReviewCreate, ReviewOut
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(
    prefix="/v1/claims/{claim_id}/reviews", tags=["reviews"], dependencies=RATE_LIMITED
)


@router.get("", response_model=list[ReviewOut], operation_id="list_reviews")
async def list_reviews(
    claim_id: uuid.UUID,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> list[ReviewOut]:
    async with phiacta.db.session() as session:
        return await service.list_for(session, claim_id)


@router.post("", status_code=201, response_model=ReviewOut, operation_id="review_claim")
async def review_claim(
    claim_id: uuid.UUID,
    body: ReviewCreate,
    response: Response,
    actor: Actor = Depends(actor_with(scopes.CLAIMS_WRITE, scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> ReviewOut:
    async with phiacta.db.session() as session:
        review, created = await service.upsert(session, claim_id, body, actor)
    if not created:
        response.status_code = 200
    return review
