"""The dashboard's job pages: list with live status, create (one input or a JSON Lines batch),
details with timings and errors, cancel and delete; all through the API's ``JobsService``.

Live status is htmx polling of the page's own fragment: a job page polls while its job is in
flight and stops by itself once the fragment it receives no longer asks for more.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from modelforge.identity.dependencies import forge
from modelforge.jobs.router import jobs_service
from modelforge.jobs.schemas import MAX_BATCH_ITEMS, JobCreate, JobResponse
from modelforge.jobs.states import JobState
from modelforge.models import JobPriority, ModelStatus
from modelforge.registry.access import Actor
from modelforge.registry.repository import ModelFilters
from modelforge.web.batch_file import BatchFileError, parse_jsonl
from modelforge.web.query import OptionalFilter
from modelforge.web.rendering import error_page, render
from modelforge.web.session import SignedIn
from servicekit.errors import ServiceError
from servicekit.web import url_path_for
from servicekit.web.pages import html_error_route, same_origin_forms

router = APIRouter(prefix="/ui", route_class=html_error_route(error_page), include_in_schema=False)

JOBS_PER_PAGE = 20
# Enough for a form's choice; more models than this are picked by id from their own page.
MODEL_CHOICES = 100
SameOrigin = [Depends(same_origin_forms)]


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


def _job_view(job: Any, actor: Actor) -> dict[str, Any]:
    view = JobResponse.of(job, viewer_id=actor.user_id).model_dump(mode="json")
    started, finished = job.started_at, job.finished_at
    view["duration_ms"] = (
        (finished - started).total_seconds() * 1000 if started and finished else None
    )
    view["terminal"] = JobState(view["status"]).terminal
    return view


@router.get("/jobs", name="ui-jobs")
async def jobs_page(
    request: Request,
    actor: SignedIn,
    page: Annotated[int, Query(ge=1)] = 1,
    status: OptionalFilter[JobState] = None,
) -> HTMLResponse:
    result = await jobs_service(request).page(actor, status, page=page, page_size=JOBS_PER_PAGE)
    jobs = [_job_view(job, actor) for job in result.items]
    context = {
        "nav": "jobs",
        "jobs": jobs,
        "total": result.total,
        "page": page,
        "pages": result.total_pages,
        "status": status.value if status else "",
        "statuses": [state.value for state in JobState],
        "active": any(not job["terminal"] for job in jobs),
    }
    return render(request, "jobs_table.html" if _is_htmx(request) else "jobs.html", context)


async def _ready_models(request: Request, actor: Actor) -> list[Any]:
    items, _, _ = await forge(request).registry.page(
        actor, ModelFilters(status=ModelStatus.ready), page=1, page_size=MODEL_CHOICES
    )
    return list(items)


async def _job_form(
    request: Request,
    actor: Actor,
    form: dict[str, Any],
    *,
    error: str | None = None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "nav": "jobs",
        "models": await _ready_models(request, actor),
        "priorities": [p.value for p in JobPriority],
        "form": form,
        "error": error,
        "problems": problems or [],
    }
    return render(request, "job_new.html", context, status_code)


@router.get("/jobs/new", name="ui-job-new")
async def new_job_page(
    request: Request, actor: SignedIn, model_id: uuid.UUID | None = None
) -> HTMLResponse:
    form = {"model_id": str(model_id or ""), "priority": "normal", "mode": "single", "input": ""}
    return await _job_form(request, actor, form)


async def _input_data(
    mode: str, input_json: str, batch_file: UploadFile | None
) -> dict[str, Any] | list[dict[str, Any]]:
    if mode == "batch":
        if batch_file is None or not batch_file.filename:
            raise BatchFileError("choose a JSON Lines file (one input object per line)")
        return parse_jsonl(await batch_file.read(), max_items=MAX_BATCH_ITEMS)
    try:
        value = json.loads(input_json)
    except json.JSONDecodeError as exc:
        raise BatchFileError(f"the input is not JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(value, dict):
        raise BatchFileError("the input is an object of input name -> tensor")
    return value


@router.post("/jobs", name="ui-job-create", dependencies=SameOrigin)
async def create_job(
    request: Request,
    actor: SignedIn,
    model_id: Annotated[str, Form()],
    priority: Annotated[str, Form()] = "normal",
    mode: Annotated[str, Form()] = "single",
    input_json: Annotated[str, Form()] = "",
    batch_file: Annotated[UploadFile | None, Form()] = None,
) -> Response:
    form = {"model_id": model_id, "priority": priority, "mode": mode, "input": input_json}
    try:
        body = JobCreate(
            model_id=model_id,
            priority=priority,
            input_data=await _input_data(mode, input_json, batch_file),
        )
    except (BatchFileError, ValidationError) as exc:
        message = str(exc) if isinstance(exc, BatchFileError) else _first_problem(exc)
        return await _job_form(request, actor, form, error=message, status_code=422)
    try:
        job = await jobs_service(request).create(
            actor, body, request_id=request.headers.get("x-request-id")
        )
    except ServiceError as exc:
        problems = (exc.details or {}).get("problems", []) if exc.details else []
        return await _job_form(
            request, actor, form, error=exc.message, problems=problems, status_code=exc.status_code
        )
    return RedirectResponse(url_path_for(request, "ui-job", job_id=job.id), status_code=303)


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"


@router.get("/jobs/{job_id}", name="ui-job")
async def job_page(request: Request, job_id: uuid.UUID, actor: SignedIn) -> HTMLResponse:
    job = _job_view(await jobs_service(request).get(actor, job_id), actor)
    template = "job_panel.html" if _is_htmx(request) else "job.html"
    return render(request, template, {"nav": "jobs", "job": job})


@router.post("/jobs/{job_id}/cancel", name="ui-job-cancel", dependencies=SameOrigin)
async def cancel_job(request: Request, job_id: uuid.UUID, actor: SignedIn) -> Response:
    await jobs_service(request).cancel(actor, job_id)
    return RedirectResponse(url_path_for(request, "ui-job", job_id=job_id), status_code=303)


@router.post("/jobs/{job_id}/delete", name="ui-job-delete", dependencies=SameOrigin)
async def delete_job(request: Request, job_id: uuid.UUID, actor: SignedIn) -> Response:
    await jobs_service(request).delete(actor, job_id)
    return RedirectResponse(url_path_for(request, "ui-jobs"), status_code=303)
