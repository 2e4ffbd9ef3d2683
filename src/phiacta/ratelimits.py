"""Per-API-key rate limits on every ``/v1`` route, with ``X-RateLimit-*`` headers (spec §8.3).

The kit's limiter counts (memory in one process, Redis when ``REDIS_URL`` is set, so that
every replica spends from one budget); this module only picks the budget a request spends.
Unauthenticated requests are not counted here: the route's own guard refuses them with 401.
"""

from __future__ import annotations

from fastapi import Depends, Request, Response

from phiacta import budgets
from phiacta.models import TIER_ROLE
from phiacta.runtime import phiacta_of
from servicekit.auth import Principal, current_principal
from servicekit.ratelimit import RateLimited


async def enforce_rate_limit(
    request: Request, response: Response, principal: Principal = Depends(current_principal)
) -> None:
    if not principal.is_authenticated:
        return
    route = getattr(request.scope.get("route"), "path", request.url.path)
    guard = phiacta_of(request).rate_limits[
        rate_tier(principal), budgets.budget_for(request.method, route)
    ]
    if guard is None:  # the key's tier does not limit this budget
        return
    try:
        await guard(request, response, principal.credential_id or "")
    except RateLimited as exc:
        # The spec's 429 details also name the usage, which is the whole limit when refused.
        exc.details = {**exc.details, "current_usage": exc.details["limit"]}
        raise


def rate_tier(principal: Principal) -> str:
    """The tier an API key carries as its ``rate_tier:<name>`` role (``ApiKey.to_principal``)."""
    for role in principal.roles:
        if role.startswith(TIER_ROLE):
            return role.removeprefix(TIER_ROLE)
    return budgets.STANDARD


RATE_LIMITED = [Depends(enforce_rate_limit)]
