"""A FastAPI route for the prediction hot path: the same contract, a fraction of the CPU.

FastAPI's general request handler resolves every dependency through ``solve_dependencies``,
which on each request re-inspects callables, walks scopes, sets up exit stacks and validates
every parameter through its generic path; on a ~1 ms prediction that was about a quarter of the
server's CPU. ``LeanRoute`` keeps everything FastAPI derives from the endpoint's signature (the
OpenAPI document, path/query/body validation with FastAPI's own functions and error locations,
the response model's serializer) and only replaces the resolution step with a plan computed
once, at startup, for the shapes the prediction routes use:

- dependencies that are ``async`` callables taking only the request (``Request``,
  ``HTTPConnection``), the sub-response (``Response``) and other such dependencies; security
  schemes (``HTTPBearer``...) are such callables, so the kit's ``require`` chain runs unchanged;
- path and query parameters, and one JSON body (parsed by pydantic's Rust parser, which reads
  what Python's ``json`` reads: ``NaN``/``Infinity`` literals, integers of any size; Python's
  parser only runs on malformed JSON, for FastAPI's own error).

A route whose signature needs more (generators, sync dependencies, headers, forms...) fails at
startup with a ``TypeError`` naming the dependency, rather than being silently slow or wrong.
While ``app.dependency_overrides`` is non-empty (tests), FastAPI's own handler serves the route.
"""

from __future__ import annotations

import email.message
import inspect
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi._body_limit import get_body_limit_error
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, _effective_route_context_var, serialize_response
from fastapi.utils import is_body_allowed_for_status_code
from pydantic_core import PydanticUndefined, from_json
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_REQUEST = "request"
_RESPONSE = "response"


@dataclass(frozen=True, slots=True)
class _Step:
    """One dependency: call ``call`` with ``arguments`` (name -> request, response or a step)."""

    call: Callable[..., Any]
    arguments: tuple[tuple[str, str | _Step], ...]
    use_cache: bool


def _plan(dependant: Dependant) -> tuple[tuple[str, _Step], ...]:
    return tuple((sub.name or "", _step(sub)) for sub in dependant.dependencies)


def _step(dependant: Dependant) -> _Step:
    call = dependant.call
    name = getattr(call, "__name__", type(call).__name__)
    unsupported = (
        dependant.path_params
        or dependant.query_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    )
    is_async = inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(
        getattr(call, "__call__", None)  # noqa: B004 (security schemes are async callables)
    )
    if call is None or unsupported or not is_async:
        raise TypeError(f"LeanRoute cannot resolve the dependency {name!r}")
    arguments: list[tuple[str, str | _Step]] = []
    for param in (dependant.request_param_name, dependant.http_connection_param_name):
        if param:
            arguments.append((param, _REQUEST))
    if dependant.response_param_name:
        arguments.append((dependant.response_param_name, _RESPONSE))
    arguments.extend((sub.name or "", _step(sub)) for sub in dependant.dependencies)
    return _Step(call, tuple(arguments), dependant.use_cache)


async def _resolve(step: _Step, request: Request, response: Response, cache: dict[Any, Any]) -> Any:
    if step.use_cache and step.call in cache:
        return cache[step.call]
    kwargs: dict[str, Any] = {}
    for name, source in step.arguments:
        if source is _REQUEST:
            kwargs[name] = request
        elif source is _RESPONSE:
            kwargs[name] = response
        else:
            assert isinstance(source, _Step)
            kwargs[name] = await _resolve(source, request, response, cache)
    value = await step.call(**kwargs)
    if step.use_cache:
        cache[step.call] = value
    return value


def _is_json(content_type: str | None, strict: bool) -> bool:
    # FastAPI's rule: a missing content type is JSON unless strict; otherwise application/*json.
    if not content_type:
        return not strict
    if content_type == "application/json":
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _parse_json(raw: bytes) -> Any:
    try:
        return from_json(raw)
    except ValueError:
        pass
    try:
        # What FastAPI parses with (a lone surrogate escape...), and its error for the rest.
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ],
            body=exc.doc,
        ) from exc


async def _read_body(request: Request) -> bytes:
    try:
        return await request.body()
    except HTTPException:
        raise
    except Exception as exc:  # as FastAPI: the body limit's own error, else a 400
        if MAX_BODY_SIZE_SCOPE_KEY in request.scope and (error := get_body_limit_error(exc)):
            raise error from exc
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc


class LeanRoute(APIRoute):
    """An ``APIRoute`` served by a precomputed plan instead of ``solve_dependencies``."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        route: Any = self
        # An included route's effective context carries the including routers' dependencies;
        # FastAPI hands it to get_route_handler through this context variable.
        effective = _effective_route_context_var.get()
        if effective is not None and effective.original_route is self:
            route = effective
        dependant: Dependant = route.dependant
        if (
            dependant.header_params
            or dependant.cookie_params
            or dependant.background_tasks_param_name
            or dependant.security_scopes_param_name
        ):
            raise TypeError(f"LeanRoute cannot serve {self.path!r}: unsupported parameters")
        if len(dependant.body_params) > 1:
            raise TypeError(f"LeanRoute cannot serve {self.path!r}: more than one body field")
        steps = _plan(dependant)
        endpoint = dependant.call
        assert endpoint is not None and inspect.iscoroutinefunction(endpoint)
        strict = bool(getattr(route.strict_content_type, "value", route.strict_content_type))
        status_code = route.status_code
        response_field = route.response_field

        async def handler(request: Request) -> Response:
            if request.app.dependency_overrides:
                return await standard(request)
            body: Any = PydanticUndefined
            if dependant.body_params:
                raw = await _read_body(request)
                if raw:
                    body = (
                        _parse_json(raw)
                        if _is_json(request.headers.get("content-type"), strict)
                        else raw
                    )
            sub_response = Response()
            del sub_response.headers["content-length"]
            sub_response.status_code = None  # type: ignore[assignment]
            cache: dict[Any, Any] = {}
            values: dict[str, Any] = {}
            # Dependencies first, as FastAPI does: a 401 wins over a malformed parameter.
            for name, step in steps:
                values[name] = await _resolve(step, request, sub_response, cache)
            path_values, errors = request_params_to_args(dependant.path_params, request.path_params)
            query_values, query_errors = request_params_to_args(
                dependant.query_params, request.query_params
            )
            values.update(path_values)
            values.update(query_values)
            errors += query_errors
            if dependant.body_params:
                body_values, body_errors = await request_body_to_args(
                    dependant.body_params, body, route._embed_body_fields
                )
                values.update(body_values)
                errors += body_errors
            if errors:
                raise RequestValidationError(
                    errors, body=None if body is PydanticUndefined else body
                )
            if dependant.request_param_name:
                values[dependant.request_param_name] = request
            if dependant.response_param_name:
                values[dependant.response_param_name] = sub_response
            result = await endpoint(**values)
            if isinstance(result, Response):
                return result
            status = sub_response.status_code or status_code or 200
            if response_field is None:  # no response model: FastAPI's JSONResponse
                response: Response = JSONResponse(jsonable_encoder(result), status_code=status)
                response.headers.raw.extend(sub_response.headers.raw)
                return response
            content = await serialize_response(
                field=response_field,
                response_content=result,
                include=route.response_model_include,
                exclude=route.response_model_exclude,
                by_alias=route.response_model_by_alias,
                exclude_unset=route.response_model_exclude_unset,
                exclude_defaults=route.response_model_exclude_defaults,
                exclude_none=route.response_model_exclude_none,
                dump_json=True,
            )
            response = Response(content=content, status_code=status, media_type="application/json")
            if not is_body_allowed_for_status_code(response.status_code):
                response.body = b""
            response.headers.raw.extend(sub_response.headers.raw)
            return response

        return handler
