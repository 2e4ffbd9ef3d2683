"""HTTP endpoints for runs, including the live event stream."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sse_starlette import EventSourceResponse

from galileo_arena.runs import events as ev
from galileo_arena.runs import schemas
from galileo_arena.runs.service import RunService
from servicekit.events import sse_response
from servicekit.ratelimit import client_ip

router = APIRouter(prefix="/runs", tags=["runs"])


def runs(request: Request) -> RunService:
    return request.app.state.galileo.runs


async def run_rate_limit(
    request: Request, response: Response, who: Annotated[str, Depends(client_ip)]
) -> None:
    """RATE_LIMIT_RUNS per client: every run spends the server's provider budget."""
    await request.app.state.galileo.run_limit(request, response, who)


Runs = Annotated[RunService, Depends(runs)]
# The spec's SSE headers: sse-starlette already sends `Connection: keep-alive` and
# `X-Accel-Buffering: no`, but `Cache-Control: no-store`.
SSE_CACHE_CONTROL = "no-cache"


@router.post(
    "",
    status_code=201,
    response_model=schemas.RunCreated,
    dependencies=[Depends(run_rate_limit)],
    responses={429: {"description": "too many runs created (RATE_LIMIT_RUNS)"}},
)
async def create_run(body: schemas.RunCreate, service: Runs, response: Response) -> Any:
    """Queue a run: one case (``case_id``), several (``case_ids``) or the whole dataset.

    Providers are checked now: a model whose provider has no key on this server is a 422 naming
    the variable to set, not a failed case later.
    """
    created = await service.create(body)
    response.headers["Location"] = f"/runs/{created.run_id}"
    return created


@router.get("", response_model=schemas.RunPage)
async def list_runs(
    service: Runs,
    status: schemas.RunStatus | None = None,
    dataset_id: str | None = None,
    model: Annotated[str | None, Query(description="provider/model_name")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    return await service.list(
        status=status, dataset_id=dataset_id, model_key=model, limit=limit, offset=offset
    )


@router.get("/compare")
async def compare(
    service: Runs,
    a: Annotated[str, Query(description="the baseline run")],
    b: Annotated[str, Query(description="the run compared with it")],
    model: str | None = None,
) -> dict[str, Any]:
    """Per-case score deltas, verdict changes and pass/fail flips between two runs."""
    return await service.compare(a, b, model_key=model)


@router.get("/{run_id}", response_model=schemas.RunInfo)
async def get_run(run_id: str, service: Runs) -> Any:
    return await service.get(run_id)


@router.get("/{run_id}/summary", response_model=schemas.RunSummary)
async def run_summary(run_id: str, service: Runs) -> Any:
    return await service.summary(run_id)


@router.get("/{run_id}/cases", response_model=schemas.CasePage)
async def run_cases(
    run_id: str,
    service: Runs,
    model: str | None = None,
    status: Literal["pass", "fail"] | None = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    return await service.cases(run_id, model_key=model, status=status, skip=skip, limit=limit)


@router.get("/{run_id}/cases/{case_id}", response_model=schemas.CaseDetail)
async def run_case(run_id: str, case_id: str, service: Runs, model: str | None = None) -> Any:
    """A case's transcript (every message with phase and round) and each model's result."""
    return await service.case_detail(run_id, case_id, model_key=model)


@router.post("/{run_id}/cancel", response_model=schemas.RunInfo)
async def cancel_run(run_id: str, request: Request, service: Runs) -> Any:
    info = await service.cancel(run_id)
    request.app.state.galileo.executor.cancel_local(run_id)
    return info


@router.get("/{run_id}/export")
async def export_run(
    run_id: str, service: Runs, format: Literal["csv", "json", "jsonl"] = "json"
) -> Response:
    body, media_type = await service.export(run_id, format)
    filename = f"galileo-run-{run_id}.{format}"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{run_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def run_events(run_id: str, request: Request, service: Runs) -> EventSourceResponse:
    """Server-Sent Events: every event of the run in ``seq`` order, from the start or after
    ``Last-Event-ID``; a heartbeat comment every 15 s; the stream ends after ``run_finished``."""
    await service.ensure_exists(run_id)
    response = sse_response(
        request.app.state.galileo.hub,
        request,
        ev.stream_of(run_id),
        until=ev.is_final,
        frame=ev.frame,
    )
    response.headers["Cache-Control"] = SSE_CACHE_CONTROL
    return response
