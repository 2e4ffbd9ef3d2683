"""Rate limits for routes and groups of routes, as FastAPI dependencies.

Limits are strings (``"60/minute"``, ``"10/second"``) counted with the ``limits`` library's moving
window, which, unlike a fixed window, never lets a client spend two budgets across a window
boundary. Counters live in memory (one process: development, tests) or in Redis (several replicas
must share one budget). A burst is a second, shorter window checked next to the long one:
``per_minute(60, burst=10)`` is ``["10/second", "60/minute"]``.

Each response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(epoch seconds) for the tightest of the route's limits; an exceeded limit answers 429 with
``Retry-After`` and the same information in the error body.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import limits
from fastapi import Depends, Request, Response
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool
from starlette.requests import HTTPConnection

from servicekit.errors import ServiceError

KeyFunction = Callable[..., str | Awaitable[str]]
"""A FastAPI dependency returning whose budget a request spends (an IP, a user, a key...)."""


def client_ip(connection: HTTPConnection) -> str:
    """The client address as the ASGI server saw it.

    Behind a proxy, run uvicorn with ``--proxy-headers --forwarded-allow-ips=<proxy>`` so that this
    is the real client: ``X-Forwarded-For`` is not read here, because any client can forge it.
    """
    return f"ip:{connection.client.host if connection.client else 'unknown'}"


def per_minute(requests: int, *, burst: int | None = None) -> list[str]:
    """Oyl's ``RATE_LIMIT_REQUESTS_PER_MINUTE`` + ``RATE_LIMIT_BURST`` as limit strings.

    The burst caps how many requests may arrive within one second; the minute caps the rate.
    """
    if requests <= 0 or (burst is not None and burst <= 0):
        raise ValueError("rate limits must be positive")
    return ([f"{burst}/second"] if burst else []) + [f"{requests}/minute"]


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"


@dataclass(frozen=True)
class RateLimitDecision:
    """The outcome of one hit: allowed or not, and the state of the tightest limit."""

    allowed: bool
    limit: limits.RateLimitItem
    remaining: int
    reset_at: float  # epoch seconds when the tightest window frees a slot

    def retry_after(self, now: float | None = None) -> int:
        """Whole seconds to wait (at least 1, so a client never retries in a busy loop)."""
        return max(1, math.ceil(self.reset_at - (time.time() if now is None else now)))

    def headers(self, now: float | None = None) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit.amount),
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after(now))
        return headers


class RateLimiter:
    """Counts hits in one storage; ``namespace`` keeps services sharing a Redis apart."""

    def __init__(
        self, storage: Storage, *, namespace: str, pool: ConnectionPool | None = None
    ) -> None:
        self.storage = storage
        self.namespace = namespace
        self._strategy = MovingWindowRateLimiter(storage)
        self._pool = pool

    @classmethod
    def from_url(cls, url: str | None, *, namespace: str) -> RateLimiter:
        """``None`` or ``memory://``: in this process; ``redis://``, ``rediss://``, ``unix://``
        (redis-py URLs, as ``REDIS_URL`` is written): shared by every replica."""
        if url is None or url == "memory://":
            return cls(MemoryStorage(), namespace=namespace)
        # We own the connection pool (rather than letting limits build one from the URL) so that
        # ``aclose`` can release its connections, and so that every redis-py URL form works.
        pool = ConnectionPool.from_url(url)
        storage = RedisStorage("async+redis://", implementation="redispy", connection_pool=pool)
        return cls(storage, namespace=namespace, pool=pool)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def hit(
        self, rate_limits: Sequence[limits.RateLimitItem], group: str, key: str
    ) -> RateLimitDecision:
        """Spend one request of ``key``'s budget in ``group`` against every limit.

        Limits are hit in order and the first exceeded one stops the rest, so put the shortest
        window first: a request refused by its burst then costs nothing from the longer budget.
        """
        if not rate_limits:
            raise ValueError("at least one rate limit is needed")
        identifiers = (self.namespace, group, key)
        for item in rate_limits:
            if not await self._strategy.hit(item, *identifiers):
                stats = await self._strategy.get_window_stats(item, *identifiers)
                return RateLimitDecision(False, item, 0, stats.reset_time)
        decisions = []
        for item in rate_limits:
            stats = await self._strategy.get_window_stats(item, *identifiers)
            decisions.append(RateLimitDecision(True, item, stats.remaining, stats.reset_time))
        return min(decisions, key=lambda decision: (decision.remaining, -decision.reset_at))

    def limit(
        self, *rate_limits: str, key: KeyFunction = client_ip, group: str | None = None
    ) -> Callable[..., Awaitable[None]]:
        """A dependency enforcing ``rate_limits`` per ``key`` (client IP by default).

        Routes sharing a ``group`` share one budget; without one, each route has its own (its
        path template). Use it as ``dependencies=[Depends(limiter.limit("60/minute"))]`` on a
        route or a router. The ``X-RateLimit-*`` headers are added to responses FastAPI builds
        from the endpoint's return value; an endpoint returning a ``Response`` must copy them.
        """
        items = [limits.parse(text) for text in rate_limits]

        async def enforce(request: Request, response: Response, who: str = Depends(key)) -> None:
            decision = await self.hit(items, group or _route_path(request), who)
            now = time.time()
            headers = decision.headers(now)
            if not decision.allowed:
                retry_after = decision.retry_after(now)
                raise RateLimited(
                    f"Rate limit exceeded ({decision.limit}); retry in {retry_after} s",
                    details={
                        "limit": decision.limit.amount,
                        "window_seconds": decision.limit.get_expiry(),
                        "retry_after_seconds": retry_after,
                        "reset": math.ceil(decision.reset_at),
                    },
                    headers=headers,
                )
            response.headers.update(headers)

        return enforce


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", request.url.path)
