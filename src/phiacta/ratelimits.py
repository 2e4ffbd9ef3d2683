"""Per-API-key rate limits on every ``/v1`` route, with ``X-RateLimit-*`` headers (spec §8.3).

Counters live in memory in one process, or in Redis when ``REDIS_URL`` is set so that every
replica spends from one budget. Unauthenticated requests are not counted here: they are refused
with 401 by the route's own guard.
"""

from __future__ import annotations

import math
import time

from fastapi import Depends, Request, Response

from phiacta import budgets
from phiacta.runtime import phiacta_of
from servicekit.auth import Principal, current_principal
from servicekit.ratelimit import RateLimited


async def enforce_rate_limit(
    request: Request, response: Response, principal: Principal = Depends(current_principal)
) -> None:
    if not principal.is_authenticated:
        return
    phiacta = phiacta_of(request)
    budget = budgets.budget_for(request.method, request.url.path)
    items = phiacta.rate_limits[budget]
    decision = await phiacta.limiter.hit(items, budget, principal.credential_id or "")
    now = time.time()
    headers = decision.headers(now)
    if not decision.allowed:
        retry_after = decision.retry_after(now)
        raise RateLimited(
            f"Rate limit exceeded ({decision.limit}) for {budget}; retry in {retry_after} s",
            code="RATE_LIMITED",
            details={
                "limit": decision.limit.amount,
                "window_seconds": decision.limit.get_expiry(),
                "current_usage": decision.limit.amount,
                "retry_after_seconds": retry_after,
                "reset": math.ceil(decision.reset_at),
            },
            headers=headers,
        )
    response.headers.update(headers)


RATE_LIMITED = [Depends(enforce_rate_limit)]
