"""The admin's pages under ``/ui/admin``: challenges table, challenge and step editors, step
order, prompt check and test run, delete with confirmation. Admins only (403 page otherwise)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from curiouscore.challenges.schemas import (
    ChallengeCreate,
    ChallengeUpdate,
    Difficulty,
    PromptCheckRequest,
    Reorder,
    StepCreate,
    StepUpdate,
)
from curiouscore.challenges.templating import BUILTIN_VARIABLES
from curiouscore.engine.definitions import StepType
from curiouscore.web import authoring_forms as forms
from curiouscore.web.pages import (
    AdminUser,
    Core,
    PageRoute,
    redirect,
    render,
    validation_message,
)
from servicekit.errors import ServiceError

router = APIRouter(prefix="/ui/admin", route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 20
DIFFICULTIES = ("beginner", "intermediate", "advanced", "expert")
STEP_TYPES = [kind.value for kind in StepType]


async def _fields(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    return {key: [str(v) for v in form.getlist(key)] for key in form}


@router.get("", name="ui-admin")
async def challenges(
    request: Request,
    _: AdminUser,
    cc: Core,
    search: Annotated[str, Query(max_length=200)] = "",
    difficulty: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    found = await cc.challenges.page(
        page=page,
        limit=PAGE_SIZE,
        search=search.strip() or None,
        difficulty=difficulty if difficulty in DIFFICULTIES else None,
    )
    context = {
        "found": found,
        "search": search,
        "difficulty": difficulty,
        "difficulties": DIFFICULTIES,
        "nav": "admin",
    }
    return render(request, "admin/challenges.html", context)


async def _editor(
    request: Request,
    cc: Any,
    challenge_id: uuid.UUID | None,
    *,
    form: dict[str, Any] | None = None,
    step_form: dict[str, Any] | None = None,
    error: str | None = None,
    step_error: str | None = None,
    check: dict[str, Any] | None = None,
    test_run: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    detail = await cc.challenges.detail(challenge_id) if challenge_id else None
    overview = await cc.authoring.model_overview()
    context = {
        "challenge": detail,
        "form": form if form is not None else forms.challenge_defaults(detail),
        "step_form": step_form or forms.step_defaults(None),
        "error": error,
        "step_error": step_error,
        "check": check,
        "test_run": test_run,
        "difficulties": DIFFICULTIES,
        "step_types": STEP_TYPES,
        "option_rows": forms.OPTION_ROWS,
        "builtin_variables": sorted(BUILTIN_VARIABLES),
        "default_model": overview.default_model,
        "providers": overview.configured_providers,
        "nav": "admin",
    }
    return render(request, "admin/editor.html", context, status)


@router.get("/challenges/new", name="ui-admin-new")
async def new_challenge(request: Request, _: AdminUser, cc: Core) -> HTMLResponse:
    return await _editor(request, cc, None)


@router.post("/challenges", name="ui-admin-create")
async def create_challenge(request: Request, _: AdminUser, cc: Core) -> Response:
    fields = await _fields(request)
    try:
        body = ChallengeCreate.model_validate(forms.challenge_values(fields))
    except (ValidationError, forms.FormError) as error:
        message = validation_message(error) if isinstance(error, ValidationError) else str(error)
        return await _editor(
            request, cc, None, form=forms.form_echo(fields), error=message, status=422
        )
    created = await cc.challenges.create(body)
    return redirect(request, "ui-admin-challenge", challenge_id=created.id)


@router.get("/challenges/{challenge_id}", name="ui-admin-challenge")
async def edit_challenge(
    request: Request, challenge_id: uuid.UUID, _: AdminUser, cc: Core
) -> HTMLResponse:
    return await _editor(request, cc, challenge_id)


FormFailure = (ValidationError, forms.FormError, ServiceError)


async def _saved(
    request: Request,
    cc: Any,
    challenge_id: uuid.UUID,
    save: Callable[[], Awaitable[object]],
    *,
    refused: Callable[[str], dict[str, Any]],
) -> Response:
    """Run ``save`` and go back to the editor; a refused form is shown again as it was left,
    with the reason (``refused(message)`` names the editor's fields to fill)."""
    try:
        await save()
    except FormFailure as error:
        return await _editor(
            request, cc, challenge_id, status=_status(error), **refused(_message(error))
        )
    return redirect(request, "ui-admin-challenge", challenge_id=challenge_id)


@router.post("/challenges/{challenge_id}", name="ui-admin-update")
async def update_challenge(
    request: Request, challenge_id: uuid.UUID, _: AdminUser, cc: Core
) -> Response:
    fields = await _fields(request)

    async def save() -> object:
        body = ChallengeUpdate.model_validate(forms.challenge_values(fields))
        return await cc.challenges.update(challenge_id, body)

    return await _saved(
        request,
        cc,
        challenge_id,
        save,
        refused=lambda message: {"form": forms.form_echo(fields), "error": message},
    )


@router.post("/challenges/{challenge_id}/steps", name="ui-admin-add-step")
async def add_step(request: Request, challenge_id: uuid.UUID, _: AdminUser, cc: Core) -> Response:
    fields = await _fields(request)

    async def save() -> object:
        body = StepCreate.model_validate(forms.step_values(fields))
        return await cc.challenges.add_step(challenge_id, body)

    return await _saved(
        request,
        cc,
        challenge_id,
        save,
        refused=lambda message: {"step_form": forms.step_echo(fields), "step_error": message},
    )


@router.get("/challenges/{challenge_id}/steps/{step_id}", name="ui-admin-step")
async def edit_step(
    request: Request, challenge_id: uuid.UUID, step_id: uuid.UUID, _: AdminUser, cc: Core
) -> HTMLResponse:
    step = await cc.challenges.get_step(challenge_id, step_id)
    return _step_page(request, challenge_id, step_id, forms.step_defaults(step), None)


def _step_page(
    request: Request,
    challenge_id: uuid.UUID,
    step_id: uuid.UUID,
    form: dict[str, Any],
    error: str | None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "challenge_id": challenge_id,
        "step_id": step_id,
        "step_form": form,
        "step_error": error,
        "step_types": STEP_TYPES,
        "option_rows": forms.OPTION_ROWS,
        "nav": "admin",
    }
    return render(request, "admin/step.html", context, status)


@router.post("/challenges/{challenge_id}/steps/{step_id}", name="ui-admin-update-step")
async def update_step(
    request: Request, challenge_id: uuid.UUID, step_id: uuid.UUID, _: AdminUser, cc: Core
) -> Response:
    fields = await _fields(request)
    try:
        body = StepUpdate.model_validate(forms.step_values(fields))
        await cc.challenges.update_step(challenge_id, step_id, body)
    except FormFailure as error:
        return _step_page(
            request, challenge_id, step_id, forms.step_echo(fields), _message(error), _status(error)
        )
    return redirect(request, "ui-admin-challenge", challenge_id=challenge_id)


@router.post("/challenges/{challenge_id}/steps/{step_id}/delete", name="ui-admin-delete-step")
async def delete_step(
    request: Request, challenge_id: uuid.UUID, step_id: uuid.UUID, _: AdminUser, cc: Core
) -> Response:
    await cc.challenges.delete_step(challenge_id, step_id)
    return redirect(request, "ui-admin-challenge", challenge_id=challenge_id)


@router.post("/challenges/{challenge_id}/steps/{step_id}/move", name="ui-admin-move-step")
async def move_step(
    request: Request, challenge_id: uuid.UUID, step_id: uuid.UUID, _: AdminUser, cc: Core
) -> Response:
    direction = (await _fields(request)).get("direction", ["down"])[0]
    current = [str(s.id) for s in await cc.challenges.steps(challenge_id)]
    try:
        order = forms.moved(current, str(step_id), direction)
    except forms.FormError as error:
        raise ServiceError(str(error), status_code=404, code="not_found") from error
    await cc.challenges.reorder(challenge_id, Reorder(step_ids=order).step_ids)
    return redirect(request, "ui-admin-challenge", challenge_id=challenge_id)


@router.post("/challenges/{challenge_id}/check-prompt", name="ui-admin-check-prompt")
async def check_prompt(
    request: Request, challenge_id: uuid.UUID, _: AdminUser, cc: Core
) -> Response:
    """Tier 1 heuristics and the LLM review of the challenge's saved prompt."""
    detail = await cc.challenges.detail(challenge_id)
    if not detail.system_prompt.strip():
        return await _editor(
            request, cc, challenge_id, error="Write and save a system prompt first", status=422
        )
    difficulty: Difficulty = detail.difficulty  # type: ignore[assignment]
    report = await cc.authoring.verify_prompt(
        PromptCheckRequest(
            system_prompt=detail.system_prompt, title=detail.title, difficulty=difficulty
        )
    )
    return await _editor(request, cc, challenge_id, check=report)


@router.post("/challenges/{challenge_id}/test-run", name="ui-admin-test-run")
async def test_run(request: Request, challenge_id: uuid.UUID, _: AdminUser, cc: Core) -> Response:
    message = (await _fields(request)).get("test_message", [""])[0].strip()
    if not message:
        return await _editor(
            request, cc, challenge_id, error="Write a test message first", status=422
        )
    try:
        result = await cc.authoring.test_run(challenge_id, message[:5000])
    except ServiceError as error:
        return await _editor(
            request, cc, challenge_id, error=error.message, status=error.status_code
        )
    return await _editor(request, cc, challenge_id, test_run=result)


@router.get("/challenges/{challenge_id}/delete", name="ui-admin-confirm-delete")
async def confirm_delete(
    request: Request, challenge_id: uuid.UUID, _: AdminUser, cc: Core
) -> HTMLResponse:
    detail = await cc.challenges.detail(challenge_id)
    return render(request, "admin/delete.html", {"challenge": detail, "nav": "admin"})


@router.post("/challenges/{challenge_id}/delete", name="ui-admin-delete")
async def delete_challenge(
    request: Request, challenge_id: uuid.UUID, _: AdminUser, cc: Core
) -> Response:
    await cc.challenges.delete(challenge_id)
    return redirect(request, "ui-admin")


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return validation_message(error)
    if isinstance(error, ServiceError):
        return error.message
    return str(error)


def _status(error: Exception) -> int:
    return error.status_code if isinstance(error, ServiceError) else 422
