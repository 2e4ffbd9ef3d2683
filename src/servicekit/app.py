"""The FastAPI application factory every service uses.

It gives each service the same behaviour at the edges: structured logs with a request id,
one error envelope, CORS from settings, Prometheus metrics at ``/metrics``, and health and
readiness endpoints at the paths and in the shapes of that service's guide.
"""

from __future__ import annotations

import gc
import logging
import re
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.config import ServiceSettings
from servicekit.db import Migrations
from servicekit.errors import ServiceError, envelope
from servicekit.logging import (
    bind_request_id,
    clear_request_context,
    configure_logging,
    get_logger,
)

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]
"""Returns the body of ``/health``; liveness only, no dependency checks."""

ReadinessCheck = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]
"""Returns (ready, body); not ready answers 503 with the body saying what is wrong."""

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = get_logger("servicekit.http")
_access_log = logging.getLogger("servicekit.http")


@dataclass
class HealthEndpoints:
    """Where a service's guide puts its probes and what they answer."""

    health_path: str = "/health"
    ready_path: str | None = "/ready"
    health: HealthCheck | None = None
    ready: ReadinessCheck | None = None
    extra_routes: dict[str, HealthCheck] = field(default_factory=dict)


class _Metrics:
    """HTTP metrics in a registry of the app's own, so several apps can share one process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )


class RequestContextMiddleware:
    """Request id, access log and metrics; plain ASGI so streaming responses (SSE) pass through."""

    def __init__(self, app: ASGIApp, metrics: _Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        clear_request_context()
        bind_request_id(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            if template != "/metrics":
                self.metrics.requests.labels(method, template, str(status)).inc()
                self.metrics.latency.labels(method, template).observe(elapsed)
            # structlog renders an event before the stdlib level filter drops it: asking first
            # spares every request that cost when access logs are off (LOG_LEVEL=WARNING).
            if _access_log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    method=method,
                    path=scope.get("path"),
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _install_error_handlers(app: FastAPI, *, expose_tracebacks: bool) -> None:
    async def service_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceError)
        body = envelope(
            exc.status_code,
            exc.message,
            code=exc.code,
            details=exc.details,
            request_id=request_id_of(request),
        )
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        details = getattr(exc, "details", None) if isinstance(exc.detail, str) else exc.detail
        body = envelope(
            exc.status_code,
            message,
            code=getattr(exc, "code", None),  # e.g. the body limit's payload_too_large
            details=details,
            request_id=request_id_of(request),
        )
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {
                "loc": list(err.get("loc", ())),
                "msg": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"] if part != "body") or "request"
        message = f"Invalid {where}: {first['msg']}"
        body = envelope(
            422,
            message,
            code="validation_error",
            details=errors,
            request_id=request_id_of(request),
        )
        return JSONResponse(body, status_code=422)

    async def unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        details = {"traceback": traceback.format_exception(exc)} if expose_tracebacks else None
        body = envelope(
            500,
            "Internal server error; quote the request id when you report it.",
            code="internal_error",
            details=details,
            request_id=request_id_of(request),
        )
        return JSONResponse(body, status_code=500)

    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unhandled)


def _health_router(endpoints: HealthEndpoints) -> APIRouter:
    router = APIRouter(tags=["health"])

    async def health() -> dict[str, Any]:
        if endpoints.health is None:
            return {"status": "ok"}
        return await endpoints.health()

    router.add_api_route(endpoints.health_path, health, methods=["GET"], summary="Liveness")

    if endpoints.ready_path:

        async def ready() -> JSONResponse:
            if endpoints.ready is None:
                return JSONResponse({"status": "ready"})
            ok, body = await endpoints.ready()
            return JSONResponse(body, status_code=200 if ok else 503)

        router.add_api_route(endpoints.ready_path, ready, methods=["GET"], summary="Readiness")

    for path, check in endpoints.extra_routes.items():
        router.add_api_route(path, check, methods=["GET"])
    return router


_heap_settled = False


def settle_heap() -> None:
    """Exempt what is alive once a service has started (modules, models, the app, its clients)
    from the garbage collector's future scans, once per process.

    Those objects live as long as the process, yet every full collection walks all of them: in
    Phiacta, with the encoder loaded, collections took 48 ms of each 500-claim bundle; after
    this, 12 ms (``bench/phiacta.py``). Garbage first, so that none of it is kept for good.
    """
    global _heap_settled
    if _heap_settled:
        return
    _heap_settled = True
    gc.collect()
    gc.freeze()


def create_app(
    *,
    title: str,
    version: str,
    description: str = "",
    routers: Sequence[APIRouter] = (),
    lifespan: Lifespan | None = None,
    health: HealthEndpoints | None = None,
    cors_origins: Sequence[str] = (),
    settings: ServiceSettings | None = None,
    expose_tracebacks: bool | None = None,
    docs: bool = True,
    migrations: Migrations | None = None,
    migrate_on_start: bool = False,
) -> FastAPI:
    """Build a service's FastAPI app with the suite's edges (see module docstring).

    ``settings`` configures logging (level; JSON in production, console otherwise) and, unless
    ``expose_tracebacks`` says otherwise, puts tracebacks in 500 answers outside production only.
    ``migrate_on_start`` (development, as the guides say) runs ``upgrade head`` with
    ``migrations`` before the service's own lifespan; production migrates as a separate step.

    ``cors_origins``: ``["*"]`` allows any origin without credentials (a wildcard with
    credentials would let any site act as the user); explicit origins allow credentials.
    """

    if settings is not None:
        configure_logging(settings.log_level, settings.effective_log_format)
    if expose_tracebacks is None:
        expose_tracebacks = settings is not None and not settings.is_production

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate_on_start and migrations is not None:
            log.info("migrating database", package=migrations.package)
            await migrations.upgrade_async()
        if lifespan is None:
            settle_heap()
            yield
            return
        async with lifespan(app):
            settle_heap()
            yield

    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=_lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    metrics = _Metrics()
    app.state.metrics_registry = metrics.registry

    origins = list(cors_origins)
    if origins:
        wildcard = origins == ["*"]
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=not wildcard,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "X-Request-ID",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
                "Retry-After",
            ],
        )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    _install_error_handlers(app, expose_tracebacks=expose_tracebacks)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(_health_router(health or HealthEndpoints()))
    for router in routers:
        app.include_router(router)
    return app
