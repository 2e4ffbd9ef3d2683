"""Browser sign-in for the dashboard: a login session whose id lives in the signed cookie.

The cookie is Starlette's session cookie (``modelforge_session``: signed with ``SECRET_KEY``,
HttpOnly, SameSite=Lax, Secure in production). It holds the user id and the id of a login
session stored in the database, never a token: signing out revokes that session, so a copied
cookie stops working everywhere at once.

A GitHub sign-in started from the dashboard goes through the API's one OAuth callback (one URL
to register with GitHub): ``remember_return`` marks the session before the redirect to GitHub,
and the callback then signs the browser in and sends it back instead of answering tokens.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection, Request

from modelforge.models import User

if TYPE_CHECKING:
    from modelforge.identity.service import IdentityService

USER_KEY = "mf_user"
SESSION_KEY = "mf_sid"
RETURN_KEY = "mf_return_to"


def safe_return_path(candidate: str | None, default: str) -> str:
    """``candidate`` when it is a path on this site, else ``default``: a sign-in link must not
    send the user to another site afterwards (an open redirect)."""
    if (
        not candidate
        or not candidate.startswith("/")
        or candidate.startswith("//")
        or "\\" in candidate
        or any(ord(char) < 32 for char in candidate)
    ):
        return default
    return candidate


async def sign_in(request: Request, identity: IdentityService, user: User) -> None:
    # A fresh cookie content at sign-in: nothing from before (another user's) survives it.
    request.session.clear()
    request.session[USER_KEY] = str(user.id)
    request.session[SESSION_KEY] = await identity.start_browser_session(user)


async def signed_in_user(connection: HTTPConnection, identity: IdentityService) -> User | None:
    """The user of the request's browser session, or None (none, revoked, or disabled)."""
    user_id = connection.session.get(USER_KEY)
    session_id = connection.session.get(SESSION_KEY)
    if not isinstance(user_id, str) or not isinstance(session_id, str):
        return None
    try:
        parsed = uuid.UUID(user_id)
    except ValueError:
        return None
    return await identity.browser_user(parsed, session_id)


async def sign_out(request: Request, identity: IdentityService) -> None:
    session_id = request.session.get(SESSION_KEY)
    request.session.clear()
    if isinstance(session_id, str):
        await identity.end_browser_session(session_id)


def remember_return(request: Request, path: str) -> None:
    """Mark a GitHub sign-in as the dashboard's: the callback signs in and goes to ``path``."""
    request.session[RETURN_KEY] = path


def take_return(request: Request) -> str | None:
    """The dashboard path a GitHub sign-in returns to, if the dashboard started it."""
    value = request.session.pop(RETURN_KEY, None)
    return value if isinstance(value, str) else None
