"""Galileo Arena's ASGI app: ``uvicorn galileo_arena.main:app`` (or ``suite serve galileo``).

On start, as the guide says: the schema is migrated (development), every dataset is loaded into
PostgreSQL, the ONNX scoring models are loaded when ``ML_SCORING_ENABLED=true`` (missing models
stop the start with the guide's message), and runs left unfinished by a previous process resume.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from galileo_arena import __version__
from galileo_arena.config import Settings
from galileo_arena.datasets.router import router as datasets_router
from galileo_arena.runs.router import router as runs_router
from galileo_arena.runtime import Galileo, open_galileo
from galileo_arena.web import mount_ui
from servicekit.app import HealthEndpoints, create_app

DESCRIPTION = (
    "Evaluate LLMs with a four-role adversarial debate per case (Orthodox, Heretic, Skeptic, "
    "Judge) and score the judge's verdict against the hidden label: keyword rubric plus optional "
    "ONNX ML scoring, live Server-Sent Events, summaries and run comparisons."
)


def build_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_galileo(settings, background=True) as galileo:
            app.state.galileo = galileo
            yield

    async def ready() -> tuple[bool, dict[str, Any]]:
        galileo: Galileo | None = getattr(application.state, "galileo", None)
        database = galileo is not None and await galileo.db.ping()
        body: dict[str, Any] = {
            "status": "ok" if database else "unavailable",
            "database": "ok" if database else "unreachable",
        }
        if galileo is not None:
            body["scoring_mode"] = galileo.evaluator.scoring_mode
        return database, body

    application = create_app(
        title="Galileo Arena",
        version=__version__,
        description=DESCRIPTION,
        routers=[datasets_router, runs_router],
        lifespan=lifespan,
        health=HealthEndpoints(ready=ready),
        cors_origins=settings.cors_origins,
        settings=settings,
    )
    mount_ui(application)
    return application


app = build_app()
