"""Galileo Arena's dashboard, served by the service itself under ``/ui`` (Jinja + htmx)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from galileo_arena.web.router import router
from servicekit.web import mount_static

STATIC_DIR = Path(__file__).parent / "static"
STATIC_ROUTE = "galileo-static"


def mount_ui(app: FastAPI) -> None:
    """Serve the dashboard's pages, its own assets and the kit's."""
    mount_static(app, ui_static=(STATIC_ROUTE, STATIC_DIR))
    app.include_router(router)
