"""What every router needs: the running service, who is asking, and the auth rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from curiouscore.runtime import CuriousCore
from servicekit.auth import Principal, require
from servicekit.ratelimit import client_ip


def core(request: Request) -> CuriousCore:
    return request.app.state.curiouscore


async def auth_rate_limit(
    request: Request, response: Response, who: Annotated[str, Depends(client_ip)]
) -> None:
    """AUTH_RATE_LIMIT per client IP on register, login and refresh (password guessing)."""
    await core(request).auth_limit(request, response, who)


Core = Annotated[CuriousCore, Depends(core)]
Learner = Annotated[Principal, Depends(require())]
Admin = Annotated[
    Principal, Depends(require(roles=["admin"], forbidden_message="Admin access required"))
]
