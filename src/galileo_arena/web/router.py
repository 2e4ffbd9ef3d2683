"""The dashboard's pages under ``/ui``: HTML over the same services the API uses.

Every page works without JavaScript (plain links and forms, a reload shows the latest state);
htmx then swaps fragments in place and the live run page follows the run over SSE. A failure
is shown as an HTML page with the error's status code, except for htmx requests, which keep the
kit's JSON envelope so ``kit.js`` can show its message as a toast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sse_starlette import EventSourceResponse

from galileo_arena.datasets.service import DatasetService
from galileo_arena.runs import events as ev
from galileo_arena.runs.router import SSE_CACHE_CONTROL, run_rate_limit
from galileo_arena.runs.schemas import TERMINAL_STATUSES, RunInfo, RunStatus
from galileo_arena.runs.service import RunService
from galileo_arena.web import charts
from galileo_arena.web.live import frame_renderer, transcript_so_far, view_of
from galileo_arena.web.model_choices import model_choices
from galileo_arena.web.run_form import RunFormState, state_from_query
from galileo_arena.web.transcript import message_view, phase_title
from servicekit.errors import ServiceError, Unprocessable
from servicekit.events import sse_response
from servicekit.web import make_templates, url_path_for
from servicekit.web.pages import (
    PageFailure,
    PageRenderer,
    html_error_route,
    same_origin_forms,
)

TEMPLATES = make_templates(Path(__file__).parent / "templates")
TEMPLATES.env.globals["phase_title"] = phase_title
TEMPLATES.env.globals["confusion_rows"] = charts.confusion_rows
TEMPLATES.env.globals["verdicts"] = charts.VERDICTS
TEMPLATES.env.filters["pretty_json"] = lambda value: json.dumps(value, indent=2, sort_keys=True)

RUN_STATUSES: tuple[RunStatus, ...] = ("PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED")
RUNS_PER_PAGE = 25
RECENT_FAILURES = 8
COMPARABLE_RUNS = 100


def error_page(request: Request, failure: PageFailure) -> Response:
    return render(
        request,
        "error.html",
        {"status": failure.status, "message": failure.message},
        failure.status,
        failure.headers,
    )


router = APIRouter(prefix="/ui", route_class=html_error_route(error_page), include_in_schema=False)


render = PageRenderer(TEMPLATES, lambda request: {"service_name": "Galileo Arena"})


def run_service(request: Request) -> RunService:
    return request.app.state.galileo.runs


def dataset_service(request: Request) -> DatasetService:
    return request.app.state.galileo.datasets


Runs = Annotated[RunService, Depends(run_service)]
Datasets = Annotated[DatasetService, Depends(dataset_service)]


# --- landing and datasets ------------------------------------------------------------------------


@router.get("", name="ui-home")
async def home(request: Request, runs: Runs, datasets: Datasets) -> HTMLResponse:
    recent = await runs.list(status=None, dataset_id=None, model_key=None, limit=5, offset=0)
    return render(request, "home.html", {"datasets": await datasets.list(), "recent": recent.items})


@router.get("/datasets", name="ui-datasets")
async def datasets_page(request: Request, datasets: Datasets) -> HTMLResponse:
    return render(request, "datasets.html", {"datasets": await datasets.list(), "nav": "datasets"})


@router.get("/datasets/{dataset_id}", name="ui-dataset")
async def dataset_page(request: Request, dataset_id: str, datasets: Datasets) -> HTMLResponse:
    dataset, cases = await datasets.get(dataset_id)
    # Case rows hold the label: only the fields below reach the template, never the label.
    visible = [
        {
            "case_id": case.case_id,
            "topic": case.topic,
            "claim": case.claim,
            "pressure_score": case.pressure_score,
            "evidence_count": len(case.evidence_json),
        }
        for case in cases
    ]
    context = {"dataset": dataset, "cases": visible, "nav": "datasets"}
    return render(request, "dataset.html", context)


# --- the run form --------------------------------------------------------------------------------


async def _form_context(
    request: Request, datasets: DatasetService, state: RunFormState
) -> dict[str, Any]:
    available = await datasets.list()
    if not state.dataset_id and available:
        state.dataset_id = available[0].id
    cases: list[dict[str, Any]] = []
    if state.dataset_id:
        _, rows = await datasets.get(state.dataset_id)
        cases = [
            {"case_id": row.case_id, "topic": row.topic, "pressure_score": row.pressure_score}
            for row in rows
        ]
    settings = request.app.state.galileo.settings
    return {
        "datasets": available,
        "cases": cases,
        "form": state,
        "providers": model_choices(settings),
        "max_concurrency": settings.max_run_concurrency,
        "nav": "new",
    }


@router.get("/runs/new", name="ui-new-run")
async def new_run(request: Request, datasets: Datasets) -> HTMLResponse:
    state = state_from_query(request.query_params)
    return render(request, "run_form.html", await _form_context(request, datasets, state))


@router.get("/runs/new/cases", name="ui-form-cases")
async def form_cases(request: Request, datasets: Datasets) -> HTMLResponse:
    """The case pickers for another dataset (htmx swaps them in when the dataset changes)."""
    state = state_from_query(request.query_params)
    return render(request, "run_form_cases.html", await _form_context(request, datasets, state))


@router.post(
    "/runs",
    name="ui-create-run",
    dependencies=[Depends(same_origin_forms), Depends(run_rate_limit)],
)
async def create_run(request: Request, runs: Runs, datasets: Datasets) -> Response:
    state = RunFormState.from_form(await request.form())
    try:
        created = await runs.create(state.to_request())
    except ServiceError as error:
        context = await _form_context(request, datasets, state)
        context["error"] = error.message
        return render(request, "run_form.html", context, error.status_code, error.headers)
    return RedirectResponse(url_path_for(request, "ui-run", run_id=created.run_id), status_code=303)


# --- runs history and the compare page -----------------------------------------------------------


@router.get("/runs", name="ui-runs")
async def runs_page(
    request: Request,
    runs: Runs,
    datasets: Datasets,
    status: str = "",
    dataset_id: str = "",
    model: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    # The filter form sends every field; an empty one means "any".
    if status and status not in RUN_STATUSES:
        raise Unprocessable(f"status must be one of {', '.join(RUN_STATUSES)}")
    found = await runs.list(
        status=status or None,
        dataset_id=dataset_id or None,
        model_key=model or None,
        limit=RUNS_PER_PAGE,
        offset=(page - 1) * RUNS_PER_PAGE,
    )
    filters = {"status": status, "dataset_id": dataset_id, "model": model}
    context = {
        "found": found,
        "filters": filters,
        "page": page,
        "pages": max(1, -(-found.total // RUNS_PER_PAGE)),
        "statuses": RUN_STATUSES,
        "datasets": await datasets.list(),
        "providers": model_choices(request.app.state.galileo.settings),
        "nav": "runs",
    }
    template = "runs_table.html" if request.headers.get("hx-request") else "runs.html"
    return render(request, template, context)


@router.get("/compare", name="ui-compare")
async def compare_page(
    request: Request,
    runs: Runs,
    a: str | None = None,
    b: str | None = None,
    model: str | None = None,
) -> HTMLResponse:
    choices = await runs.list(
        status=None, dataset_id=None, model_key=None, limit=COMPARABLE_RUNS, offset=0
    )
    comparison = None
    if a and b:
        comparison = await runs.compare(a, b, model_key=model or None)
    context = {
        "choices": choices.items,
        "a": a or "",
        "b": b or "",
        "model": model or "",
        "comparison": comparison,
        "nav": "compare",
    }
    return render(request, "compare.html", context)


# --- one run: live page, its fragments and its stream --------------------------------------------


async def _case_lookup(datasets: DatasetService, info: RunInfo) -> dict[str, Any]:
    """Topic and claim of each case of the run (never the label)."""
    _, rows = await datasets.get(info.dataset_id)
    wanted = set(info.case_ids)
    return {
        row.case_id: {"topic": row.topic, "claim": row.claim, "pressure_score": row.pressure_score}
        for row in rows
        if row.case_id in wanted
    }


async def _panels_context(runs: RunService, run_id: str) -> dict[str, Any]:
    summary = await runs.summary(run_id)
    total = (await runs.cases(run_id, model_key=None, status="fail", skip=0, limit=1)).total
    latest = await runs.cases(
        run_id,
        model_key=None,
        status="fail",
        skip=max(0, total - RECENT_FAILURES),
        limit=RECENT_FAILURES,
    )
    return {
        "summary": summary,
        "histogram": charts.histogram(summary.models),
        "failures": latest.cases[::-1],
    }


def _live_context(info: RunInfo) -> dict[str, Any]:
    counts = info.progress
    done = counts["completed"] + counts["failed"] + counts["cancelled"]
    return {
        "run": info,
        # The shape of a metrics_update payload, which the stream then keeps up to date.
        "progress": {"completed": done, "failed": counts["failed"], "total": counts["total"]},
        "many_models": len(info.models) > 1,
        "many_cases": len(info.case_ids) > 1,
    }


@router.get("/runs/{run_id}", name="ui-run")
async def run_page(request: Request, run_id: str, runs: Runs, datasets: Datasets) -> HTMLResponse:
    before = await runs.get(run_id)
    transcript = await transcript_so_far(request.app.state.galileo.events, run_id)
    # A run finished before the transcript was read is all in it. Otherwise the page streams
    # from the last event read, even if the run ends meanwhile (the stream then brings the end),
    # and the header shows the run as it is now.
    ended = before.status in TERMINAL_STATUSES
    info = before if ended else await runs.get(run_id)
    context = {
        **_live_context(info),
        "finished": ended,
        **await _panels_context(runs, run_id),
        "cases": await _case_lookup(datasets, info),
        "transcript": transcript,
        "view_of": view_of,
    }
    return render(request, "run/page.html", context)


@router.get("/runs/{run_id}/header", name="ui-run-header")
async def run_header(request: Request, run_id: str, runs: Runs, datasets: Datasets) -> HTMLResponse:
    info = await runs.get(run_id)
    context = {**_live_context(info), "cases": await _case_lookup(datasets, info)}
    return render(request, "run/_header.html", context)


@router.get("/runs/{run_id}/panels", name="ui-run-panels")
async def run_panels(request: Request, run_id: str, runs: Runs) -> HTMLResponse:
    info = await runs.get(run_id)
    context = {**_live_context(info), **await _panels_context(runs, run_id)}
    return render(request, "run/_panels.html", context)


@router.get("/runs/{run_id}/stream", name="ui-run-stream")
async def run_stream(request: Request, run_id: str, runs: Runs) -> EventSourceResponse:
    """The run's events as rendered HTML, resumable like the API's stream."""
    info = await runs.get(run_id)
    galileo = request.app.state.galileo
    response = sse_response(
        galileo.hub,
        request,
        ev.stream_of(run_id),
        until=ev.is_final,
        frame=frame_renderer(TEMPLATES, request, _live_context(info)),
    )
    response.headers["Cache-Control"] = SSE_CACHE_CONTROL
    return response


@router.get("/runs/{run_id}/results", name="ui-run-results")
async def run_results(
    request: Request,
    run_id: str,
    runs: Runs,
    model: str = "",
    status: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    """Every result of the run, filtered and paged, each linking to its case replay."""
    if status and status not in ("pass", "fail"):
        raise Unprocessable("status must be pass or fail")
    info = await runs.get(run_id)
    found = await runs.cases(
        run_id,
        model_key=model or None,
        status=status or None,
        skip=(page - 1) * RUNS_PER_PAGE,
        limit=RUNS_PER_PAGE,
    )
    context = {
        "run": info,
        "found": found,
        "filters": {"model": model, "status": status},
        "page": page,
        "pages": max(1, -(-found.total // RUNS_PER_PAGE)),
    }
    return render(request, "results.html", context)


@router.post(
    "/runs/{run_id}/cancel", name="ui-cancel-run", dependencies=[Depends(same_origin_forms)]
)
async def cancel_run(request: Request, run_id: str, runs: Runs) -> Response:
    await runs.cancel(run_id)
    request.app.state.galileo.executor.cancel_local(run_id)
    return RedirectResponse(url_path_for(request, "ui-run", run_id=run_id), status_code=303)


# --- case replay ---------------------------------------------------------------------------------


@router.get("/runs/{run_id}/cases/{case_id}", name="ui-case")
async def case_page(request: Request, run_id: str, case_id: str, runs: Runs) -> HTMLResponse:
    info = await runs.get(run_id)
    detail = await runs.case_detail(run_id, case_id, model_key=None)
    by_model: dict[str, dict[str, list[Any]]] = {}
    for message in detail.messages:
        phases = by_model.setdefault(message.model_key, {})
        view = message_view(message.role, message.phase, message.round, message.content)
        phases.setdefault(message.phase, []).append((message, view))
    results = {result.model_key: result for result in detail.results}
    context = {"run": info, "case": detail, "by_model": by_model, "results": results}
    return render(request, "case.html", context)
