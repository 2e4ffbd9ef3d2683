"""``/health`` (liveness, no dependency checks) and ``/ready`` (database up, schema at head)."""

from __future__ import annotations

import asyncio
from typing import Any

from phiacta.runtime import Phiacta


async def liveness() -> dict[str, Any]:
    return {"status": "healthy"}


async def readiness(phiacta: Phiacta | None) -> tuple[bool, dict[str, Any]]:
    if phiacta is None:
        return False, {"status": "not_ready", "checks": {"database": "not started"}}
    checks: dict[str, Any] = {}
    database = await phiacta.db.ping()
    checks["database"] = "ok" if database else "unreachable"
    migrations_ok = False
    if database:
        try:
            current = await asyncio.to_thread(phiacta.migrations.current)
            head = phiacta.migrations.head()
            migrations_ok = current == head
            checks["migrations"] = (
                "ok" if migrations_ok else {"status": "behind", "current": current, "head": head}
            )
        except Exception as exc:  # a broken migration table is "not ready", not a 500
            checks["migrations"] = {"status": "error", "error": str(exc)}
    else:
        checks["migrations"] = "unknown"
    ready = database and migrations_ok
    return ready, {"status": "ready" if ready else "not_ready", "checks": checks}
