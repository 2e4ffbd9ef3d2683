"""Signing in a browser: the API's JWT pair kept in HttpOnly cookies, refreshed invisibly.

The access token and the refresh token live in two ``HttpOnly``, ``SameSite=Lax`` cookies
(``Secure`` in production) whose path is the UI's own (``/ui``, or ``/curiouscore/ui`` when
mounted): page scripts can't read them, other sites' forms don't carry them, and the JSON API,
which takes bearer tokens only, never sees them. When the access token has expired (or its
cookie is gone) and a refresh token is present, the page request rotates the pair first, so
the learner never notices; the new pair goes out on whatever response the page gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from curiouscore.accounts.schemas import TokenPair
from curiouscore.config import Settings
from curiouscore.runtime import CuriousCore
from servicekit.auth import Principal
from servicekit.auth.errors import AuthError
from servicekit.errors import ServiceError
from servicekit.web import url_path_for

ACCESS_COOKIE = "cc_access"
REFRESH_COOKIE = "cc_refresh"
HOME_ROUTE = "ui-home"
_CHANGE = "cc_cookie_change"


@dataclass
class CookieChange:
    """Cookies a response must carry: a new pair, or ``None`` to clear both."""

    pair: TokenPair | None


def cookie_path(request: Request) -> str:
    return url_path_for(request, HOME_ROUTE)


async def principal_of(request: Request, core: CuriousCore) -> Principal:
    """Who the browser is, refreshing the pair when only the refresh token is still good.

    Remembered on the request, so a page's dependencies resolve it once.
    """
    known = getattr(request.state, "cc_principal", None)
    if known is not None:
        return known
    principal = await _resolve(request, core)
    request.state.cc_principal = principal
    return principal


async def _resolve(request: Request, core: CuriousCore) -> Principal:
    access = request.cookies.get(ACCESS_COOKIE)
    if access:
        try:
            return await core.authenticator.authenticate(access)
        except AuthError:
            pass  # expired or revoked: the refresh token decides
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        if access:
            remember(request, None)
        return Principal.anonymous()
    try:
        pair = await core.accounts.refresh(refresh)
        principal = await core.authenticator.authenticate(pair.access_token)
    except (ServiceError, AuthError):
        remember(request, None)  # logged out, reused or expired: sign in again
        return Principal.anonymous()
    remember(request, pair)
    return principal


def remember(request: Request, pair: TokenPair | None) -> None:
    """Have the response set this pair (None: clear the cookies)."""
    setattr(request.state, _CHANGE, CookieChange(pair))


def pending(request: Request) -> bool:
    return getattr(request.state, _CHANGE, None) is not None


def apply(request: Request, response: Response, settings: Settings) -> None:
    """Write the remembered cookie change, if any, onto ``response``."""
    secure = settings.is_production
    change: CookieChange | None = getattr(request.state, _CHANGE, None)
    if change is None:
        return
    path = cookie_path(request)
    if change.pair is None:
        for name in (ACCESS_COOKIE, REFRESH_COOKIE):
            response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="lax")
        return
    options = {"path": path, "secure": secure, "httponly": True, "samesite": "lax"}
    response.set_cookie(
        ACCESS_COOKIE,
        change.pair.access_token,
        max_age=change.pair.expires_in,
        **options,  # type: ignore[arg-type]
    )
    response.set_cookie(
        REFRESH_COOKIE,
        change.pair.refresh_token,
        max_age=settings.refresh_token_expire_days * 86400,
        **options,  # type: ignore[arg-type]
    )
