"""Rendering the dashboard's templates, and its HTML error page."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse

from servicekit.web import make_templates
from servicekit.web.pages import PageFailure, PageRenderer

SERVICE_NAME = "ModelForge"
TEMPLATES = make_templates(Path(__file__).parent / "templates")
TEMPLATES.env.filters["pretty_json"] = lambda value: json.dumps(value, indent=2, sort_keys=True)


def _size(value: int | None) -> str:
    """Bytes as B/KB/MB/GB (1024-based, one decimal above bytes)."""
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "—"


TEMPLATES.env.filters["filesize"] = _size
TEMPLATES.env.filters["when"] = _when


render = PageRenderer(
    TEMPLATES,
    lambda request: {
        "service_name": SERVICE_NAME,
        "user": getattr(request.state, "mf_user", None),
    },
)


def error_page(request: Request, failure: PageFailure) -> HTMLResponse:
    context = {"status": failure.status, "message": failure.message}
    return render(request, "error.html", context, failure.status, failure.headers)
