"""The guide's probes: ``/live`` (the process), ``/ready`` (503 without the database) and
``/health`` (every dependency; 503 when the database is down, ``degraded`` when only Redis is).
The first two are served through the kit's ``HealthEndpoints``, ``/health`` by ``router``.

Upstream answered 200 "ready"/"healthy" with its database or Redis down; load balancers then
kept sending traffic to replicas that could only fail.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from modelforge import __version__
from modelforge.jobs import monitor
from modelforge.jobs.router import celery_client
from modelforge.runtime import ModelForge

router = APIRouter(tags=["health"])

_CHECK_TIMEOUT = 2.0


def _forge(request: Request) -> ModelForge | None:
    return getattr(request.app.state, "modelforge", None)


async def _database_up(mf: ModelForge | None) -> bool:
    if mf is None:
        return False
    try:
        return await asyncio.wait_for(mf.db.ping(), _CHECK_TIMEOUT)
    except TimeoutError:
        return False


async def _redis_state(mf: ModelForge | None) -> str:
    if mf is None:
        return "disconnected"
    try:
        return "healthy" if await asyncio.wait_for(mf.redis.ping(), _CHECK_TIMEOUT) else "unhealthy"
    except Exception:  # connection refused, timeout, auth: all mean the cache is unusable
        return "disconnected"


async def _celery_state(mf: ModelForge | None) -> str:
    """``connected`` (workers answer), ``no_workers`` (broker up, nobody consuming) or ``error``.
    Reported, not counted in ``status``: predictions work without workers, jobs just wait."""
    if mf is None:
        return "error"
    app = celery_client(mf.settings.redis_url)
    try:  # the inspect broadcast blocks for up to its 1 s timeout: never on the event loop
        seen = await asyncio.wait_for(asyncio.to_thread(monitor.snapshot, app), _CHECK_TIMEOUT)
    except TimeoutError:
        return "error"
    return seen.status


async def live() -> dict[str, Any]:
    return {"status": "alive"}


async def readiness(mf: ModelForge | None) -> tuple[bool, dict[str, Any]]:
    if await _database_up(mf):
        return True, {"status": "ready"}
    return False, {"status": "not_ready", "database": "disconnected"}


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    mf = _forge(request)
    database, redis, celery = await asyncio.gather(
        _database_up(mf), _redis_state(mf), _celery_state(mf)
    )
    status = (
        "healthy" if database and redis == "healthy" else "degraded" if database else "unhealthy"
    )
    body: dict[str, Any] = {
        "status": status,
        "version": __version__,
        "environment": mf.settings.environment.value if mf is not None else None,
        "timestamp": datetime.now(UTC).isoformat(),
        "database": "connected" if database else "disconnected",
        "redis": redis,
        "celery": celery,
    }
    return JSONResponse(body, status_code=200 if database else 503)
