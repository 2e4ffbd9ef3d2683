"""Phiacta's ASGI app: ``uvicorn phiacta.main:app`` (or ``suite serve phiacta``).

On start: the database URL is resolved (embedded PostgreSQL when ``DATABASE_URL`` is unset), the
schema is migrated in development only, and the embedder's width is checked against the
``claims.embedding`` column. Errors carry the spec's codes (``phiacta.errors``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from phiacta import __version__
from phiacta.agents.router import router as agents_router
from phiacta.background import run_rounds
from phiacta.bundles.router import router as bundles_router
from phiacta.claims.router import router as claims_router
from phiacta.confidence.router import router as confidence_router
from phiacta.config import Settings
from phiacta.edges.router import router as edges_router
from phiacta.errors import use_spec_error_codes
from phiacta.evidence.router import router as evidence_router
from phiacta.extensions.router import router as extensions_router
from phiacta.health import liveness, readiness
from phiacta.ingest.router import router as ingest_router
from phiacta.namespaces.router import router as namespaces_router
from phiacta.query.router import router as query_router
from phiacta.reviews.router import router as reviews_router
from phiacta.runtime import open_phiacta
from phiacta.sources.router import router as sources_router
from phiacta.subscribe.router import router as subscribe_router
from phiacta.webhooks.router import router as webhooks_router
from servicekit.app import HealthEndpoints, create_app
from servicekit.body_limit import BodySizeLimit

TITLE = "Phiacta Knowledge Backend"
WEBHOOK_POLL_SECONDS = 2.0
HEALTH_POLL_SECONDS = 10.0
"""How often a process looks for due work (each check itself is due once a minute)."""
VECTOR_CHECK_SECONDS = 1.0
"""How often a replica looks whether the vector index's lists need re-learning: two catalog
reads, so often that a fast-growing graph is re-clustered within a bundle or two of crossing
a size (a rebuild itself is rare: each time the number of vectors has doubled)."""
DESCRIPTION = (
    "A queryable knowledge backend of atomic, versioned claims linked by typed edges, with "
    "provenance back to sources, reviews and query-time confidence."
)


def build_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_phiacta(settings) as phiacta:
            phiacta.authenticator.install(app)
            app.state.phiacta = phiacta
            await phiacta.hub.start()
            stop = asyncio.Event()
            loops = [
                asyncio.create_task(run_rounds(name, round_, stop, pause=pause), name=name)
                for name, round_, pause, enabled in (
                    ("phiacta-webhooks", phiacta.webhooks.deliver_all_due, WEBHOOK_POLL_SECONDS,
                     settings.webhook_delivery),
                    ("phiacta-extension-health", phiacta.health.check_due, HEALTH_POLL_SECONDS,
                     settings.extension_health_checks),
                    ("phiacta-vector-index", phiacta.vectors.maintain, VECTOR_CHECK_SECONDS,
                     settings.vector_index_maintenance),
                )
                if enabled
            ]  # fmt: skip
            try:
                yield
            finally:
                stop.set()
                await asyncio.gather(*loops)
                await phiacta.hub.stop()
                app.state.phiacta = None

    async def ready() -> tuple[bool, dict[str, Any]]:
        return await readiness(getattr(application.state, "phiacta", None))

    application = create_app(
        title=TITLE,
        version=__version__,
        description=DESCRIPTION,
        routers=[
            agents_router,
            namespaces_router,
            sources_router,
            claims_router,
            edges_router,
            bundles_router,
            reviews_router,
            evidence_router,
            confidence_router,
            query_router,
            extensions_router,
            webhooks_router,
            subscribe_router,
            ingest_router,
        ],
        lifespan=lifespan,
        health=HealthEndpoints(health=liveness, ready=ready),
        cors_origins=settings.effective_cors_origins,
        settings=settings,
    )
    application.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    use_spec_error_codes(application)
    return application


def __getattr__(name: str) -> Any:
    # `uvicorn phiacta.main:app` builds the app from the environment on first access, so that
    # importing this module (tests, the suite) never requires production settings.
    if name == "app":
        return build_app()
    raise AttributeError(name)
