"""Serving the kit's static files (vendored libraries, ``kit.css``, ``kit.js``) from every service.

Each service mounts them itself, so a service run alone (`uvicorn <service>.main:app`) is complete.
Templates build the URLs with the ``kit_static(path)`` helper (in Python:
``url_path_for(request, KIT_STATIC_ROUTE, path=...)``), never with a literal ``/static``, so they
stay right when the service is mounted under a prefix (``suite up`` mounts each one at
``/<service>``) or behind a proxy's ``root_path``.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

KIT_STATIC_DIR = Path(__file__).parent / "static"
KIT_STATIC_MOUNT_PATH = "/static/kit"
KIT_STATIC_ROUTE = "kit-static"


UI_STATIC_MOUNT_PATH = "/ui/static"


def mount_static(
    app: Starlette, ui_static: tuple[str, str | os.PathLike[str]] | None = None
) -> None:
    """Serve the kit's static files at ``/static/kit`` under the route name ``kit-static``, and
    with ``ui_static=(route_name, directory)`` the service UI's own at ``/ui/static``."""
    app.mount(
        KIT_STATIC_MOUNT_PATH,
        StaticFiles(directory=KIT_STATIC_DIR),
        name=KIT_STATIC_ROUTE,
    )
    if ui_static is not None:
        name, directory = ui_static
        app.mount(UI_STATIC_MOUNT_PATH, StaticFiles(directory=directory), name=name)
