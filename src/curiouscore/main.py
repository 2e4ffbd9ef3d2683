"""CuriousCore's ASGI app: ``uvicorn curiouscore.main:app`` (or ``suite serve curiouscore``).

On start the schema is migrated (outside production, as the guide's development flow), the badge
catalogue is ensured and the authenticator installed. ``GET /health`` answers the guide's shape:
``{"status": "healthy", "database": "connected", "timestamp": ...}``, or 503 with
``"disconnected"`` when the database cannot be reached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from curiouscore import __version__
from curiouscore.accounts.router import router as accounts_router
from curiouscore.challenges.admin_router import router as admin_challenges_router
from curiouscore.challenges.router import router as challenges_router
from curiouscore.config import Settings
from curiouscore.play.router import router as play_router
from curiouscore.progress.router import router as progress_router
from curiouscore.runtime import CuriousCore, open_curiouscore
from curiouscore.web import mount_ui
from servicekit.app import HealthEndpoints, create_app
from servicekit.body_limit import BodySizeLimit

DESCRIPTION = (
    "Gamified learning: authored challenges played through an event-sourced game engine, with "
    "an LLM Game Master for narration, rubric grading of free text and hints; XP, levels and "
    "badges; an admin authoring API."
)


def build_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_curiouscore(settings) as core:
            app.state.curiouscore = core
            core.authenticator.install(app)
            yield

    health = APIRouter(tags=["health"])

    @health.get("/health")
    async def health_check() -> JSONResponse:
        core: CuriousCore | None = getattr(application.state, "curiouscore", None)
        connected = core is not None and await core.db.ping()
        body = {
            "status": "healthy" if connected else "unhealthy",
            "database": "connected" if connected else "disconnected",
            "timestamp": datetime.now(UTC).isoformat(),
        }
        return JSONResponse(body, status_code=200 if connected else 503)

    async def ready() -> tuple[bool, dict[str, Any]]:
        """Ready when the database answers and its schema is at this release's revision."""
        core: CuriousCore | None = getattr(application.state, "curiouscore", None)
        database = core is not None and await core.db.ping()
        schema = database and await core.migrations.is_current_async()
        body = {
            "status": "ready" if schema else "unavailable",
            "database": "connected" if database else "disconnected",
            "schema": "current" if schema else "behind or unknown",
        }
        return bool(schema), body

    application = create_app(
        title="CuriousCore",
        version=__version__,
        description=DESCRIPTION,
        routers=[
            health,
            accounts_router,
            challenges_router,
            play_router,
            progress_router,
            admin_challenges_router,
        ],
        lifespan=lifespan,
        # The guide's /health (with the database) is served above; the kit's own liveness
        # probe moves out of its way.
        health=HealthEndpoints(health_path="/livez", ready=ready),
        cors_origins=settings.cors_origins,
        settings=settings,
    )
    application.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    mount_ui(application)  # the web app under /ui, with the kit's static files
    return application


def __getattr__(name: str) -> FastAPI:
    # ``app`` is built on first access, so importing this module reads no settings.
    if name == "app":
        global app
        app = build_app()
        return app
    raise AttributeError(name)
