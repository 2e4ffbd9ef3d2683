"""Oyl's ASGI app: ``uvicorn oyl.main:app`` (or ``suite serve oyl``).

``/health`` is liveness (``{"status":"ok","version":"0.1.0"}``); ``/ready`` checks PostgreSQL,
Redis and Chroma and names each one that fails. The API is under ``/api/v1``, rate-limited per
tenant (``RATE_LIMIT_REQUESTS_PER_MINUTE`` with a ``RATE_LIMIT_BURST`` per second).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response

from oyl import __version__
from oyl.answers.router import router as answers_router
from oyl.config import Settings
from oyl.hierarchy.router import router as hierarchy_router
from oyl.identity.router import router as identity_router
from oyl.ingestion.router import router as documents_router
from oyl.retrieval.router import router as retrieval_router
from oyl.runtime import Oyl, open_oyl
from oyl.tenancy import oyl_of
from oyl.usage.router import router as usage_router
from servicekit.app import HealthEndpoints, create_app
from servicekit.auth import Principal, current_principal
from servicekit.body_limit import BodySizeLimit

# The routes that take a file; multipart framing around it (boundaries, part headers) is allowed
# on top of MAX_UPLOAD_BYTES.
UPLOAD_PATHS = r"/(knowledge-bases/[^/]+/documents|assistants/[^/]+/knowledge/upload)/?$"
MULTIPART_OVERHEAD = 16 * 1024

DESCRIPTION = (
    "Multi-tenant AI teammates: tenants, workspaces, teammates routing questions to assistants, "
    "each answering from its own knowledge bases (PDF, DOCX, HTML, Markdown, CSV, images with "
    "OCR) with hybrid retrieval and cited answers."
)


async def _rate_limited(
    request: Request, response: Response, principal: Principal = Depends(current_principal)
) -> None:
    await oyl_of(request).rate_limit(request, response, principal)


def api_router() -> APIRouter:
    api = APIRouter(dependencies=[Depends(_rate_limited)])
    for router in (
        identity_router,
        hierarchy_router,
        documents_router,
        retrieval_router,
        answers_router,
        usage_router,
    ):
        api.include_router(router)
    return api


def build_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_oyl(settings) as oyl:
            oyl.authenticator.install(app)
            app.state.oyl = oyl
            yield

    async def health() -> dict[str, Any]:
        return {"status": "ok", "version": settings.app_version}

    async def ready() -> tuple[bool, dict[str, Any]]:
        oyl: Oyl | None = getattr(application.state, "oyl", None)
        checks = await oyl.readiness() if oyl is not None else {"database": False}
        failing = sorted(name for name, ok in checks.items() if not ok)
        body: dict[str, Any] = {
            "status": "ok" if not failing else "unavailable",
            "version": settings.app_version,
            "checks": {name: "ok" if ok else "unreachable" for name, ok in checks.items()},
        }
        if failing:
            body["failing"] = failing
        return not failing, body

    application = create_app(
        title=settings.app_name,
        version=__version__,
        description=DESCRIPTION,
        routers=[api_router()],
        lifespan=lifespan,
        health=HealthEndpoints(health=health, ready=ready),
        cors_origins=settings.cors_origins,
        settings=settings.model_copy(update={"log_level": "DEBUG"}) if settings.debug else settings,
    )
    # Uploads are refused while they arrive: FastAPI would spool a whole multipart body first.
    application.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_upload_bytes,
        setting="MAX_UPLOAD_BYTES",
        paths=UPLOAD_PATHS,
        allowance=MULTIPART_OVERHEAD,
    )
    return application


app = build_app()
