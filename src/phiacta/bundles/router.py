"""``/v1/bundles``: atomic submission (201, or 200 replaying an earlier answer) and read."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.bundles.schemas import BundleRead, BundleResponse, BundleSubmit
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(prefix="/v1/bundles", tags=["bundles"], dependencies=RATE_LIMITED)


@router.post("", status_code=201, response_model=BundleResponse, operation_id="submit_bundle")
async def submit_bundle(
    body: BundleSubmit,
    response: Response,
    actor: Actor = Depends(actor_with(scopes.BUNDLES_WRITE)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> BundleResponse:
    """All or nothing. The same idempotency key with the same body replays the first answer
    (200, ``status: already_accepted``); with another body it is 409 ``IDEMPOTENCY_CONFLICT``."""
    answer, replayed = await phiacta.bundles.submit(body, actor)
    if replayed:
        response.status_code = 200
    return answer


@router.get("/{bundle_id}", response_model=BundleRead, operation_id="get_bundle")
async def get_bundle(
    bundle_id: uuid.UUID,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> BundleRead:
    return await phiacta.bundles.get(bundle_id)
