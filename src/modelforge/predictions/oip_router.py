"""The Open Inference Protocol v2 (KServe V2 REST, as Triton and MLServer speak it) at ``/v2``.

Beside the REST API, at the root; the same Bearer credentials (``read`` for metadata and
readiness, ``predict`` for inference) and the same prediction path (cache, history). Models are
addressed by name, optionally at a version; without one, the latest ready version answers. A name
may contain "/", so the name takes the rest of the path up to the protocol's own suffixes.

Errors use the protocol's body, ``{"error": "<message>"}``, instead of the suite's envelope.
Server readiness answers 503 when the database is down (what load balancers expect); a model that
exists but is not ready answers 400, the protocol's "false" for model readiness.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from modelforge.identity.dependencies import actor_with, forge
from modelforge.identity.scopes import PREDICT, READ
from modelforge.inference.oip import (
    InferRequest,
    InferResponse,
    ModelMetadata,
    infer_response,
    model_metadata,
    request_payload,
)
from modelforge.inference.tensors import InputError, encode_value, parse_schema
from modelforge.models import MLModel, ModelStatus
from modelforge.predictions.lean_route import LeanRoute
from modelforge.predictions.service import PredictionService
from modelforge.registry.access import Actor
from servicekit.errors import ServiceError, Unprocessable


class OipRoute(LeanRoute):
    """A route answering failures (its dependencies' included) with ``{"error": message}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def oip_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except ServiceError as exc:
                return JSONResponse(
                    {"error": exc.message}, status_code=exc.status_code, headers=exc.headers
                )
            except RequestValidationError as exc:
                problems = [
                    f"{'.'.join(str(part) for part in err.get('loc', ()))}: {err.get('msg', '')}"
                    for err in exc.errors()
                ]
                return JSONResponse({"error": "; ".join(problems)}, status_code=422)

        return oip_handler


router = APIRouter(prefix="/v2", tags=["open inference protocol v2"], route_class=OipRoute)

Reader = Annotated[Actor, Depends(actor_with(READ))]
Caller = Annotated[Actor, Depends(actor_with(PREDICT))]
Owner = Annotated[str | None, Query(description="the owner's login, if several own the name")]


async def predictions(request: Request) -> PredictionService:
    # async: FastAPI runs a plain function dependency in a worker thread (~0.2 ms a hop).
    return forge(request).predictions


Predictions = Annotated[PredictionService, Depends(predictions)]


@router.get("/health/live")
async def server_live() -> dict[str, bool]:
    return {"live": True}


@router.get("/health/ready")
async def server_ready(request: Request) -> JSONResponse:
    mf = getattr(request.app.state, "modelforge", None)
    ready = mf is not None and await mf.db.ping()
    return JSONResponse({"ready": ready}, status_code=200 if ready else 503)


async def _model(
    service: PredictionService, actor: Actor, name: str, version: str | None, owner: str | None
) -> MLModel:
    return await service.registry.resolve_readable_model(
        actor, name=name, version=version, owner=owner
    )


async def _metadata(
    service: PredictionService, actor: Actor, name: str, version: str | None, owner: str | None
) -> ModelMetadata:
    model = await _model(service, actor, name, version, owner)
    found = await service.registry.versions(actor, name, owner=owner)
    ready = [m.version for m in found.models if m.status == ModelStatus.ready]
    return model_metadata(
        name,
        ready,
        parse_schema(model.input_schema or []),
        parse_schema(model.output_schema or []),
    )


async def _ready(
    service: PredictionService, actor: Actor, name: str, version: str | None, owner: str | None
) -> dict[str, Any]:
    model = await _model(service, actor, name, version, owner)
    if model.status != ModelStatus.ready:
        raise ServiceError(
            f"model {name!r} version {model.version!r} is {model.status.value}, not ready",
            code="model_not_ready",
        )
    return {"name": name, "version": model.version, "ready": True}


async def _infer(
    service: PredictionService,
    actor: Actor,
    name: str,
    version: str | None,
    owner: str | None,
    body: InferRequest,
    request: Request,
    response: Response,
) -> InferResponse:
    model = await _model(service, actor, name, version, owner)
    output_specs = parse_schema(model.output_schema or [])
    requested = [output.name for output in body.outputs] if body.outputs else None
    try:
        payload = request_payload(body)
        known = {spec.name for spec in output_specs}
        unknown = [name for name in requested or [] if name not in known]
        if unknown:
            raise InputError([f"unknown output '{name}'" for name in unknown])
    except InputError as exc:
        raise Unprocessable("; ".join(exc.problems), code="invalid_input") from exc
    parameters = body.parameters or {}
    served = await service.predict(
        actor,
        model,
        payload,
        history_input={key: encode_value(value) for key, value in payload.items()},
        skip_cache=parameters.get("skip_cache") is True,
        request_id=body.id,
        client_ip=request.client.host if request.client else None,
    )
    response.headers["X-Cache"] = served.outcome.cache
    return infer_response(
        model.name,
        model.version,
        served.outcome.outputs,
        output_specs,
        request_id=body.id,
        requested=requested,
    )


# Versioned routes first: the unversioned ones would otherwise take "x/versions/1" as a name.


@router.post("/models/{name:path}/versions/{version}/infer")
async def infer_version(
    name: str,
    version: str,
    body: InferRequest,
    actor: Caller,
    service: Predictions,
    request: Request,
    response: Response,
    owner: Owner = None,
) -> InferResponse:
    return await _infer(service, actor, name, version, owner, body, request, response)


@router.get("/models/{name:path}/versions/{version}/ready")
async def ready_version(
    name: str, version: str, actor: Reader, service: Predictions, owner: Owner = None
) -> dict[str, Any]:
    return await _ready(service, actor, name, version, owner)


@router.get("/models/{name:path}/versions/{version}")
async def metadata_version(
    name: str, version: str, actor: Reader, service: Predictions, owner: Owner = None
) -> ModelMetadata:
    return await _metadata(service, actor, name, version, owner)


@router.post("/models/{name:path}/infer")
async def infer(
    name: str,
    body: InferRequest,
    actor: Caller,
    service: Predictions,
    request: Request,
    response: Response,
    owner: Owner = None,
) -> InferResponse:
    return await _infer(service, actor, name, None, owner, body, request, response)


@router.get("/models/{name:path}/ready")
async def ready(name: str, actor: Reader, service: Predictions, owner: Owner = None) -> Any:
    return await _ready(service, actor, name, None, owner)


@router.get("/models/{name:path}")
async def metadata(
    name: str, actor: Reader, service: Predictions, owner: Owner = None
) -> ModelMetadata:
    return await _metadata(service, actor, name, None, owner)
