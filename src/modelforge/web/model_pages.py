"""The dashboard's model pages: list, upload, model details (versions, aliases, archive,
delete), predict, and prediction history with CSV export.

Reads and changes go through the same ``RegistryService`` and ``PredictionService`` as the API.
The page scripts call the API itself for what needs the browser (the upload's progress, a
prediction's ``X-Cache``), with a short-lived token of the browser session.
"""

from __future__ import annotations

import re
import uuid
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from modelforge.identity.dependencies import forge
from modelforge.models import MLModel, ModelStatus, Visibility
from modelforge.predictions import router as predictions_api
from modelforge.registry.access import Actor
from modelforge.registry.repository import ModelFilters
from modelforge.registry.router import ALIAS_PATTERN
from modelforge.registry.schemas import ModelResponse, ModelUpdate
from modelforge.web.query import OptionalFilter
from modelforge.web.rendering import error_page, render
from modelforge.web.samples import sample_input
from modelforge.web.session import SignedIn
from servicekit.errors import Unprocessable
from servicekit.web import url_path_for
from servicekit.web.pages import html_error_route, same_origin_forms

router = APIRouter(prefix="/ui", route_class=html_error_route(error_page), include_in_schema=False)

MODELS_PER_PAGE = 10
PREDICTIONS_PER_PAGE = 20
# Page scripts turn this into a real id: the URL templates come from the app's own routes.
ID_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
SameOrigin = [Depends(same_origin_forms)]


def _model_view(model: MLModel) -> dict[str, Any]:
    return ModelResponse.model_validate(model).model_dump(mode="json")


def _may_manage(actor: Actor, model: MLModel) -> bool:
    return actor.is_admin or model.owner_id == actor.user_id


def _back_to_model(request: Request, model_id: uuid.UUID) -> RedirectResponse:
    return RedirectResponse(url_path_for(request, "ui-model", model_id=model_id), 303)


@router.get("", name="ui-home")
async def home(request: Request, actor: SignedIn) -> Response:
    return RedirectResponse(url_path_for(request, "ui-models"), status_code=303)


@router.get("/models", name="ui-models")
async def models_page(
    request: Request,
    actor: SignedIn,
    page: Annotated[int, Query(ge=1)] = 1,
    name: str | None = None,
    status: OptionalFilter[ModelStatus] = None,
    visibility: OptionalFilter[Visibility] = None,
    owner: str | None = None,
) -> HTMLResponse:
    mf = forge(request)
    filters = ModelFilters(
        name=name or None, status=status, visibility=visibility, owner_login=owner or None
    )
    items, total, pages = await mf.registry.page(
        actor, filters, page=page, page_size=MODELS_PER_PAGE
    )
    owners = await mf.identity.logins_of([item.owner_id for item in items])
    context = {
        "nav": "models",
        "models": items,
        "owners": owners,
        "total": total,
        "page": page,
        "pages": pages,
        "filters": {
            "name": name or "",
            "status": status.value if status else "",
            "visibility": visibility.value if visibility else "",
            "owner": owner or "",
        },
        "statuses": [s.value for s in ModelStatus],
        "visibilities": [v.value for v in Visibility],
    }
    return render(request, "models.html", context)


@router.get("/models/new", name="ui-model-new")
async def new_model_page(request: Request, actor: SignedIn) -> HTMLResponse:
    context = {
        "nav": "upload",
        "urls": {
            "create": url_path_for(request, "create_model"),
            "upload": url_path_for(request, "upload_model", model_id=ID_PLACEHOLDER),
            "validate": url_path_for(request, "validate_model", model_id=ID_PLACEHOLDER),
            "delete": url_path_for(request, "delete_model", model_id=ID_PLACEHOLDER),
            "page": url_path_for(request, "ui-model", model_id=ID_PLACEHOLDER),
        },
        "max_bytes": forge(request).settings.max_model_size_bytes,
    }
    return render(request, "model_new.html", context)


@router.get("/models/{model_id}", name="ui-model")
async def model_page(request: Request, model_id: uuid.UUID, actor: SignedIn) -> HTMLResponse:
    mf = forge(request)
    model = await mf.registry.get(actor, model_id)
    owner = (await mf.identity.logins_of([model.owner_id])).get(model.owner_id)
    versions = await mf.registry.versions(actor, model.name, owner=owner)
    aliases = await mf.registry.aliases(actor, model.name, owner=owner)
    context = {
        "nav": "models",
        "model": _model_view(model),
        "owner": owner,
        "versions": versions.models,
        "aliases": [
            {"alias": row.alias, "version": target.version, "model_id": target.id}
            for row, target in aliases
        ],
        "can_manage": _may_manage(actor, model),
        "is_own": model.owner_id == actor.user_id,
    }
    return render(request, "model.html", context)


@router.post("/models/{model_id}/aliases", name="ui-set-alias", dependencies=SameOrigin)
async def set_alias(
    request: Request,
    model_id: uuid.UUID,
    actor: SignedIn,
    alias: Annotated[str, Form()],
    version: Annotated[str, Form()],
) -> Response:
    """Point ``alias`` of this model's name at ``version`` (moving it if it exists)."""
    alias = alias.strip()
    if not re.fullmatch(ALIAS_PATTERN, alias):
        raise Unprocessable(
            "an alias starts with a letter and holds letters, digits, '_', '.' or '-'"
        )
    registry = forge(request).registry
    model = await registry.get(actor, model_id)
    await registry.set_alias(actor, model.name, alias, version)
    return _back_to_model(request, model_id)


@router.post("/models/{model_id}/validate", name="ui-validate", dependencies=SameOrigin)
async def validate(request: Request, model_id: uuid.UUID, actor: SignedIn) -> Response:
    # A refused file leaves the model in ``error`` with the reason, which its page shows.
    with suppress(Unprocessable):
        await forge(request).registry.validate(actor, model_id)
    return _back_to_model(request, model_id)


@router.post("/models/{model_id}/archive", name="ui-archive", dependencies=SameOrigin)
async def archive(request: Request, model_id: uuid.UUID, actor: SignedIn) -> Response:
    change = ModelUpdate(status=ModelStatus.archived)
    await forge(request).registry.update(actor, model_id, change)
    return _back_to_model(request, model_id)


@router.post("/models/{model_id}/delete", name="ui-delete", dependencies=SameOrigin)
async def delete(request: Request, model_id: uuid.UUID, actor: SignedIn) -> Response:
    await forge(request).registry.delete(actor, model_id)
    return RedirectResponse(url_path_for(request, "ui-models"), status_code=303)


@router.get("/models/{model_id}/predict", name="ui-predict")
async def predict_page(request: Request, model_id: uuid.UUID, actor: SignedIn) -> HTMLResponse:
    model = _model_view(await forge(request).registry.get(actor, model_id))
    schema = model["input_schema"] or []
    context = {
        "nav": "models",
        "model": model,
        "schema": schema,
        "sample": sample_input(schema),
        "predict_url": url_path_for(request, "predict", model_id=model_id),
        "is_own": uuid.UUID(model["owner_id"]) == actor.user_id or actor.is_admin,
    }
    return render(request, "predict.html", context)


@router.get("/models/{model_id}/predictions", name="ui-predictions")
async def predictions_page(
    request: Request,
    model_id: uuid.UUID,
    actor: SignedIn,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    mf = forge(request)
    model = await mf.registry.get(actor, model_id)
    items, total, pages = await mf.predictions.history(
        actor, model_id, page=page, page_size=PREDICTIONS_PER_PAGE
    )
    context = {
        "nav": "models",
        "model": _model_view(model),
        "predictions": items,
        "total": total,
        "page": page,
        "pages": pages,
    }
    return render(request, "predictions.html", context)


@router.get("/models/{model_id}/predictions.csv", name="ui-predictions-csv")
async def predictions_csv(request: Request, model_id: uuid.UUID, actor: SignedIn) -> Response:
    """The API's CSV export (whole history, formula cells neutralised), for the browser."""
    return await predictions_api.history_csv(model_id, actor, forge(request).predictions)
