"""ModelForge's ASGI app: ``uvicorn modelforge.main:app`` (or ``suite serve modelforge``).

Everything lives under ``API_PREFIX`` (``/api/v1``) as in the guide, the OpenAPI docs included
(``/api/v1/docs``); ``GET /`` names the service. Prometheus metrics are at ``/metrics``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.middleware.sessions import SessionMiddleware

from modelforge import __version__
from modelforge.config import Settings
from modelforge.health import live, readiness
from modelforge.health import router as health_router
from modelforge.identity.router import github_router
from modelforge.identity.router import router as identity_router
from modelforge.jobs.router import health_router as jobs_health_router
from modelforge.jobs.router import router as jobs_router
from modelforge.predictions.oip_router import router as oip_router
from modelforge.predictions.router import router as predictions_router
from modelforge.registry.router import router as registry_router
from modelforge.runtime import open_modelforge
from modelforge.web import mount_ui
from servicekit.app import HealthEndpoints, create_app
from servicekit.auth import GitHubEndpoints, GitHubOAuth

TITLE = "ModelForge"
DESCRIPTION = (
    "Registry and serving of ONNX models: upload, validate, version with aliases, predict "
    "(cached), run async batch jobs. Sign in with GitHub or a local account; machines use "
    "personal API tokens (`Authorization: Bearer mf_...`)."
)


def _api_router(settings: Settings, github_endpoints: GitHubEndpoints | None) -> APIRouter:
    api = APIRouter(prefix=settings.api_prefix)
    # Routes are matched in order, one by one: the prediction routes (the hot path) come first,
    # so a predict request is not tried against every registry and identity route before them.
    api.include_router(predictions_router)
    api.include_router(health_router)
    api.include_router(identity_router)
    api.include_router(registry_router)
    api.include_router(jobs_router)
    api.include_router(jobs_health_router)
    if settings.github_enabled:
        assert settings.github_id is not None and settings.github_secret is not None
        github = GitHubOAuth(settings.github_id, settings.github_secret, endpoints=github_endpoints)
        api.include_router(github_router(github, settings.github_callback_url))
    return api


def _install_docs(app: FastAPI, prefix: str) -> None:
    app.openapi_url = f"{prefix}/openapi.json"

    async def openapi() -> dict[str, object]:
        return app.openapi()

    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=f"{prefix}/openapi.json", title=f"{TITLE} API")

    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=f"{prefix}/openapi.json", title=f"{TITLE} API")

    app.add_api_route(f"{prefix}/openapi.json", openapi, include_in_schema=False)
    app.add_api_route(f"{prefix}/docs", swagger, include_in_schema=False)
    app.add_api_route(f"{prefix}/redoc", redoc, include_in_schema=False)


def build_app(
    settings: Settings | None = None, *, github_endpoints: GitHubEndpoints | None = None
) -> FastAPI:
    """The app; ``github_endpoints`` points GitHub sign-in elsewhere (GitHub Enterprise, tests)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_modelforge(settings) as forge:
            app.state.modelforge = forge
            forge.authenticator.install(app)
            yield

    application = create_app(
        title=TITLE,
        version=__version__,
        description=DESCRIPTION,
        # The Open Inference Protocol has its own fixed paths (/v2/...), beside the REST API.
        routers=[_api_router(settings, github_endpoints), oip_router],
        lifespan=lifespan,
        health=HealthEndpoints(
            health_path=f"{settings.api_prefix}/live",
            ready_path=f"{settings.api_prefix}/ready",
            health=live,
            ready=lambda: readiness(getattr(application.state, "modelforge", None)),
        ),
        cors_origins=settings.effective_cors_origins,
        settings=settings,
        docs=False,
    )
    _install_docs(application, settings.api_prefix)
    mount_ui(application)  # the dashboard under /ui, with the kit's static files

    @application.get("/", include_in_schema=False)
    async def root() -> dict[str, str]:
        return {"name": TITLE, "version": __version__, "docs": f"{settings.api_prefix}/docs"}

    # authlib keeps the OAuth state in the session between /login and /callback.
    application.add_middleware(
        SessionMiddleware,
        secret_key=settings.signing_key().get_secret_value(),
        session_cookie="modelforge_session",
        same_site="lax",
        https_only=settings.is_production,
    )
    return application


@cache
def _default_app() -> FastAPI:
    return build_app()


def __getattr__(name: str) -> FastAPI:
    # ``modelforge.main:app`` is built on first access, not at import: without SECRET_KEY,
    # building it writes the development key into the data directory, which a mere import
    # (tests, the suite's discovery) must not do.
    if name == "app":
        return _default_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
