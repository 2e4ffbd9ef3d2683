"""``/v1/ingest``: submit (202), read, cancel; and the extension side: next, complete, fail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from phiacta import scopes
from phiacta.actor import Actor, actor_with
from phiacta.ingest import service
from phiacta.ingest.schemas import (
    IngestAccepted,
    IngestComplete,
    IngestFail,
    IngestJobRead,
    IngestRequest,
)
from phiacta.ratelimits import RATE_LIMITED
from phiacta.runtime import Phiacta, phiacta_of

router = APIRouter(prefix="/v1/ingest", tags=["ingest"], dependencies=RATE_LIMITED)
WRITE = actor_with(scopes.BUNDLES_WRITE)


@router.post("", status_code=202, response_model=IngestAccepted, operation_id="submit_ingest")
async def submit_ingest(
    body: IngestRequest, actor: Actor = Depends(WRITE), phiacta: Phiacta = Depends(phiacta_of)
) -> IngestAccepted:
    async with phiacta.db.session() as session:
        return await service.submit(session, body, actor)


@router.post("/next", response_model=IngestJobRead | None, operation_id="take_ingest_job")
async def take_ingest_job(
    response: Response, actor: Actor = Depends(WRITE), phiacta: Phiacta = Depends(phiacta_of)
) -> IngestJobRead | None:
    """For input extensions: the next queued job, now processing (204 when there is none)."""
    async with phiacta.db.session() as session:
        job = await service.take_next(session, actor)
        if job is None:
            response.status_code = 204
            return None
        return service.read(job)


@router.get("/{job_id}", response_model=IngestJobRead, operation_id="get_ingest_job")
async def get_ingest_job(
    job_id: uuid.UUID,
    _: Actor = Depends(actor_with(scopes.CLAIMS_READ)),
    phiacta: Phiacta = Depends(phiacta_of),
) -> IngestJobRead:
    async with phiacta.db.session() as session:
        return service.read(await service.get(session, job_id))


@router.post("/{job_id}/complete", response_model=IngestJobRead, operation_id="complete_ingest_job")
async def complete_ingest_job(
    job_id: uuid.UUID,
    body: IngestComplete,
    actor: Actor = Depends(WRITE),
    phiacta: Phiacta = Depends(phiacta_of),
) -> IngestJobRead:
    async with phiacta.db.session() as session:
        return service.read(await service.complete(session, phiacta.events, job_id, body, actor))


@router.post("/{job_id}/fail", response_model=IngestJobRead, operation_id="fail_ingest_job")
async def fail_ingest_job(
    job_id: uuid.UUID,
    body: IngestFail,
    actor: Actor = Depends(WRITE),
    phiacta: Phiacta = Depends(phiacta_of),
) -> IngestJobRead:
    async with phiacta.db.session() as session:
        return service.read(await service.fail(session, phiacta.events, job_id, body, actor))


@router.post("/{job_id}/cancel", response_model=IngestJobRead, operation_id="cancel_ingest_job")
async def cancel_ingest_job(
    job_id: uuid.UUID, actor: Actor = Depends(WRITE), phiacta: Phiacta = Depends(phiacta_of)
) -> IngestJobRead:
    async with phiacta.db.session() as session:
        return service.read(await service.cancel(session, job_id, actor))
