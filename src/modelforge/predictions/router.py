"""Predictions over REST: predict by id or by name, history (JSON and CSV), cache metrics.

Thin: resolve the model for the caller, call the service, shape the answer. ``X-Cache`` says how
a prediction was served: ``HIT``, ``MISS``, or ``BYPASS`` (``skip_cache``, or caching disabled).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from modelforge.identity.dependencies import actor_with, forge
from modelforge.identity.scopes import ADMIN, PREDICT, READ
from modelforge.inference.tensors import encode_value
from modelforge.models import MLModel
from modelforge.predictions.lean_route import LeanRoute
from modelforge.predictions.schemas import PredictionPage, PredictionResponse, PredictRequest
from modelforge.predictions.service import PredictionService
from modelforge.registry.access import Actor
from servicekit.errors import Forbidden, ServiceUnavailable

# LeanRoute: the predict routes are the hot path (see lean_route); the others follow suit.
router = APIRouter(tags=["predictions"], route_class=LeanRoute)

Reader = Annotated[Actor, Depends(actor_with(READ))]
Caller = Annotated[Actor, Depends(actor_with(PREDICT))]
AdminScope = Annotated[Actor, Depends(actor_with(ADMIN))]


async def predictions(request: Request) -> PredictionService:
    # async: FastAPI runs a plain function dependency in a worker thread (~0.2 ms a hop).
    return forge(request).predictions


Predictions = Annotated[PredictionService, Depends(predictions)]


def _client_ip(request: Request) -> str | None:
    # Behind a proxy, uvicorn's --proxy-headers puts the forwarded address here.
    return request.client.host if request.client else None


async def _serve(
    model: MLModel,
    body: PredictRequest,
    actor: Actor,
    service: PredictionService,
    request: Request,
    response: Response,
) -> PredictionResponse:
    served = await service.predict(
        actor,
        model,
        body.input_data,
        # Python's JSON parser takes NaN/Infinity literals; stored and echoed, they become the
        # same strings as non-finite outputs (PostgreSQL's JSON and strict clients refuse them).
        history_input=encode_value(body.input_data),
        skip_cache=body.skip_cache,
        request_id=body.request_id,
        client_ip=_client_ip(request),
    )
    response.headers["X-Cache"] = served.outcome.cache
    # The values are the row just built, already typed: no validation pass needed.
    return PredictionResponse.model_construct(
        **{name: served.record[name] for name in PredictionResponse.model_fields}
    )


@router.post("/models/by-name/{name:path}/predict", status_code=status.HTTP_201_CREATED)
async def predict_by_name(
    name: str,
    body: PredictRequest,
    actor: Caller,
    service: Predictions,
    request: Request,
    response: Response,
    version: str | None = None,
    alias: str | None = None,
    owner: Annotated[str | None, Query(description="the owner's login, if ambiguous")] = None,
) -> PredictionResponse:
    """Predict with ``name`` at ``version`` or ``alias`` (neither: its latest ready version)."""
    model = await service.registry.resolve_readable_model(
        actor, name=name, version=version, alias=alias, owner=owner
    )
    return await _serve(model, body, actor, service, request, response)


@router.post("/models/{model_id}/predict", status_code=status.HTTP_201_CREATED)
async def predict(
    model_id: uuid.UUID,
    body: PredictRequest,
    actor: Caller,
    service: Predictions,
    request: Request,
    response: Response,
) -> PredictionResponse:
    """Run a ready model: 422 lists every input problem, 409 names a model's non-ready status."""
    model = await service.registry.resolve_readable_model(actor, model_id=model_id)
    return await _serve(model, body, actor, service, request, response)


@router.get("/models/{model_id}/predictions")
async def history(
    model_id: uuid.UUID,
    actor: Reader,
    service: Predictions,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PredictionPage:
    """The model's predictions, newest first (its owner and admins only)."""
    items, total, pages = await service.history(actor, model_id, page=page, page_size=page_size)
    return PredictionPage(
        items=[PredictionResponse.model_validate(item) for item in items],
        total=total,
        page=page,
        page_size=page_size,
        total_pages=pages,
    )


@router.get("/models/{model_id}/predictions.csv", response_class=StreamingResponse)
async def history_csv(model_id: uuid.UUID, actor: Reader, service: Predictions) -> Response:
    """The whole history as CSV, streamed; formula-like cells are prefixed with ``'``."""
    model, lines = await service.export_csv(actor, model_id)
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", model.name).strip("_") or "model"
    filename = f"predictions-{safe_name}-{datetime.now(UTC):%Y-%m-%d}.csv"
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _admin(actor: Actor) -> Actor:
    # The admin scope alone is not enough: it must still belong to an admin account.
    if not actor.is_admin:
        raise Forbidden("admin access required")
    return actor


@router.get("/cache/metrics", tags=["cache"])
async def cache_metrics(actor: AdminScope, request: Request) -> dict[str, Any]:
    """Hits, misses and hit rate, overall and per model; zeros while Redis is unreachable."""
    _admin(actor)
    return {"prediction_cache": await forge(request).prediction_cache.metrics()}


@router.post("/cache/metrics/reset", tags=["cache"])
async def reset_cache_metrics(actor: AdminScope, request: Request) -> dict[str, str]:
    """Zero the counters; 503 when Redis is unreachable (nothing could be reset)."""
    _admin(actor)
    mf = forge(request)
    await mf.prediction_cache.reset_metrics()
    if not mf.cache_link.available:
        raise ServiceUnavailable("the cache (Redis) is unavailable; nothing was reset")
    return {"status": "reset"}
