"""CuriousCore's web app for learners and admins, served by the service under ``/ui``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from curiouscore.web.admin import router as admin_router
from curiouscore.web.learner import router as learner_router
from servicekit.web import mount_static

STATIC_DIR = Path(__file__).parent / "static"
STATIC_ROUTE = "curiouscore-static"


def mount_ui(app: FastAPI) -> None:
    """Serve the learner and admin pages, their own assets and the kit's."""
    mount_static(app, ui_static=(STATIC_ROUTE, STATIC_DIR))
    app.include_router(learner_router)
    app.include_router(admin_router)
