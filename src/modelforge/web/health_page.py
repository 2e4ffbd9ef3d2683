"""The dashboard's health page: database, Redis, Celery workers and the prediction cache's hit
rate, refreshed live (htmx polling of its panel). Worker detail and cache counters are the
admin-only API's (``/health/celery``, ``/cache/metrics``): other users see the states only."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelforge import health
from modelforge.identity.dependencies import forge
from modelforge.jobs.router import celery_health
from modelforge.web.rendering import error_page, render
from modelforge.web.session import SignedIn
from servicekit.web.pages import html_error_route

router = APIRouter(prefix="/ui", route_class=html_error_route(error_page), include_in_schema=False)

REFRESH_SECONDS = 5


@router.get("/health", name="ui-health")
async def health_page(request: Request, actor: SignedIn) -> HTMLResponse:
    answer = await health.health(request)
    context: dict[str, Any] = {
        "nav": "health",
        "health": json.loads(bytes(answer.body)),
        "workers": None,
        "cache": None,
        "refresh_seconds": REFRESH_SECONDS,
    }
    if actor.is_admin:
        context["workers"] = (await celery_health(actor, request)).model_dump(mode="json")
        context["cache"] = await forge(request).prediction_cache.metrics()
    template = "health_panel.html" if request.headers.get("hx-request") else "health.html"
    return render(request, template, context)
