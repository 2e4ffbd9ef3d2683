"""ModelForge's dashboard, served by the service itself under ``/ui`` (Jinja + htmx)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from modelforge.web import auth_pages, health_page, job_pages, model_pages
from modelforge.web.session import SignInRequired, sign_in_redirect
from servicekit.web import mount_static

STATIC_DIR = Path(__file__).parent / "static"
STATIC_ROUTE = "modelforge-static"


def mount_ui(app: FastAPI) -> None:
    """Serve the dashboard's pages, its own assets and the kit's."""
    mount_static(app, ui_static=(STATIC_ROUTE, STATIC_DIR))
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    for pages in (auth_pages, model_pages, job_pages, health_page):
        app.include_router(pages.router)
