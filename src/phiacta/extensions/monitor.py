"""The background health checks of registered extensions (``health_rules`` decides status).

As for webhooks, no HTTP call runs inside a transaction: a short one leases the due checks
(``last_check_at`` moves to now, so another replica skips them), the GETs run with none open,
and a second one records the results. Deregistered extensions (no live key) are not checked,
so a passing check can never revive one.
"""

from __future__ import annotations

import asyncio

import httpx

from phiacta.background import OutboundTask
from phiacta.extensions import repository
from phiacta.extensions.health_rules import CHECK_EVERY, status_after_check

BATCH = 20


class HealthMonitor(OutboundTask):
    timeout_seconds = 5.0

    async def check_due(self) -> int:
        """Check every extension whose check is due; how many were checked."""
        now = self.clock()
        async with self.db.session() as session:
            due = await repository.due_health_checks(session, now - CHECK_EVERY, BATCH)
            targets = [(row.id, str(row.manifest["health_check_url"])) for row in due]
            for row in due:
                row.last_check_at = now
        passed = await asyncio.gather(*(self._passes(url) for _, url in targets))
        async with self.db.session() as session:
            for (extension_id, _), ok in zip(targets, passed, strict=True):
                row = await repository.get(session, extension_id, lock=True)
                if row is None:
                    continue
                row.consecutive_failures = 0 if ok else row.consecutive_failures + 1
                row.status = status_after_check(
                    ok, last_ok_at=row.last_ok_at, registered_at=row.registered_at, now=now
                )
                if ok:
                    row.last_ok_at = now
        return len(targets)

    async def _passes(self, url: str) -> bool:
        if await self.blocked(url) is not None:
            return False
        try:
            response = await self.client.get(url)
        except httpx.HTTPError:
            return False
        return response.is_success
