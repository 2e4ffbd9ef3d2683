"""What Phiacta's background tasks share: the loop they run in (one round, then a pause), and
the outbound HTTP client of the tasks that call other services (webhooks, health checks)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from phiacta.outbound import OutboundPolicy
from servicekit.db import Database
from servicekit.logging import get_logger

log = get_logger("phiacta.background")


async def run_rounds(
    name: str, round_: Callable[[], Awaitable[object]], stop: asyncio.Event, *, pause: float
) -> None:
    """Run ``round_`` every ``pause`` seconds until ``stop`` is set.

    Every replica may run the same loop: each round takes its share of the work with
    ``SKIP LOCKED``. A failing round is logged and the next one runs as usual.
    """
    while not stop.is_set():
        try:
            await round_()
        except Exception:  # one bad round must not end the loop for good
            log.exception("background round failed", task=name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause)


def utc_now() -> datetime:
    return datetime.now(UTC)


class OutboundTask:
    """A background task calling URLs that agents registered: each call is checked against the
    outbound policy first (SSRF), redirects are not followed (a URL must answer itself), and the
    clock can be set so tests can move time."""

    timeout_seconds = 10.0

    def __init__(
        self,
        db: Database,
        policy: OutboundPolicy,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.client = httpx.AsyncClient(timeout=self.timeout_seconds, follow_redirects=False)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def blocked(self, url: str) -> str | None:
        """Why ``url`` may not be called now (its host's current addresses included)."""
        problem = self.policy.url_problem(url)
        if problem is not None or not self.policy.restrict_addresses:
            return problem
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            return f"{host} does not resolve ({exc})"
        addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in found}
        return self.policy.address_problem(host, addresses)
