"""``/jobs`` and ``/health/celery`` over HTTP (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Annotated

from celery import Celery
from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse

from modelforge.identity.dependencies import actor_with, forge
from modelforge.identity.scopes import ADMIN, PREDICT, READ
from modelforge.jobs import monitor
from modelforge.jobs.queue import QUEUE, jobs_celery
from modelforge.jobs.schemas import (
    CeleryHealth,
    JobCreate,
    JobPage,
    JobResponse,
    JobResult,
    QueueInfo,
    WorkerInfo,
)
from modelforge.jobs.service import MAX_WAIT_SECONDS, JobsService
from modelforge.jobs.states import JobState, state_of
from modelforge.registry.access import Actor
from modelforge.runtime import ModelForge
from servicekit.errors import Forbidden

router = APIRouter(prefix="/jobs", tags=["jobs"])
health_router = APIRouter(tags=["health"])

Reader = Annotated[Actor, Depends(actor_with(READ))]
Runner = Annotated[Actor, Depends(actor_with(PREDICT))]


@cache
def celery_client(broker_url: str | None) -> Celery:
    """The API's Celery app: it sends by task name and never imports the worker's code."""
    return jobs_celery("modelforge-api", broker_url)


def jobs_service(request: Request) -> JobsService:
    mf: ModelForge = forge(request)
    return JobsService(mf.db, mf.registry, celery_client(mf.settings.redis_url))


Jobs = Annotated[JobsService, Depends(jobs_service)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_job(
    body: JobCreate, actor: Runner, service: Jobs, request: Request
) -> JobResponse:
    """Queue an inference on one input object or a batch (a list of them).

    201 ``queued``, or 201 ``pending`` when the broker is unreachable (sent later, by a worker).
    """
    job = await service.create(actor, body, request_id=request.headers.get("x-request-id"))
    return JobResponse.of(job, viewer_id=actor.user_id)


@router.get("")
async def list_jobs(
    actor: Reader,
    service: Jobs,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    state: Annotated[JobState | None, Query(alias="status")] = None,
) -> JobPage:
    """Your jobs (admins: everyone's), newest first."""
    result = await service.page(actor, state, page=page, page_size=page_size)
    return JobPage(
        items=[JobResponse.of(job, viewer_id=actor.user_id) for job in result.items],
        total=result.total,
        page=page,
        page_size=page_size,
        total_pages=result.total_pages,
    )


@router.get("/{job_id}")
async def get_job(job_id: uuid.UUID, actor: Reader, service: Jobs) -> JobResponse:
    return JobResponse.of(await service.get(actor, job_id), viewer_id=actor.user_id)


@router.get(
    "/{job_id}/result",
    response_model=JobResult,
    responses={202: {"model": JobResult, "description": "still queued or running"}},
)
async def job_result(
    job_id: uuid.UUID,
    actor: Reader,
    service: Jobs,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 0,
) -> JSONResponse:
    """The outcome: 200 once the job finished, 202 while it is in flight after ``wait`` s."""
    job = await service.wait(actor, job_id, wait)
    state = state_of(job.status, enqueued=job.celery_task_id is not None)
    if not state.terminal:
        body = JobResult(job_id=job.id, status=state, message="Job is still processing")
        return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)
    failed = state is JobState.failed
    body = JobResult(
        job_id=job.id,
        status=state,
        result=job.result if state is JobState.completed else None,
        error_message=job.error if failed else None,
        error_traceback=job.error_traceback if failed and job.owner_id == actor.user_id else None,
        inference_time_ms=job.inference_time_ms,
        completed_at=job.finished_at,
    )
    return JSONResponse(body.model_dump(mode="json"))


@router.post("/{job_id}/cancel")
async def cancel_job(job_id: uuid.UUID, actor: Runner, service: Jobs) -> JobResponse:
    """A queued job becomes ``cancelled`` now; a running one stops before storing its result
    (``cancel_requested`` is true until it does). 400 when the job already finished."""
    return JobResponse.of(await service.cancel(actor, job_id), viewer_id=actor.user_id)


@router.delete("/{job_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_job(job_id: uuid.UUID, actor: Runner, service: Jobs) -> Response:
    """Delete a finished job; 400 while it is queued or running."""
    await service.delete(actor, job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@health_router.get("/health/celery")
async def celery_health(
    actor: Annotated[Actor, Depends(actor_with(ADMIN))], request: Request
) -> CeleryHealth:
    """Workers (concurrency, tasks processed), queue depth and broker state (admins)."""
    if not actor.is_admin:
        raise Forbidden("administrators only")
    mf: ModelForge = forge(request)
    app = celery_client(mf.settings.redis_url)
    # The inspect broadcast blocks for up to its 1 s timeout: never on the event loop.
    try:
        seen = await asyncio.wait_for(asyncio.to_thread(monitor.snapshot, app), timeout=5)
    except TimeoutError:
        seen = monitor.CelerySnapshot(broker_connected=False, error="the broker did not answer")
    return CeleryHealth(
        status=seen.status,
        broker_connected=seen.broker_connected,
        workers={name: WorkerInfo(**info) for name, info in seen.workers.items()},
        queues=[QueueInfo(name=QUEUE, messages=seen.queue_messages)],
        error=seen.error,
        timestamp=datetime.now(UTC),
    )
