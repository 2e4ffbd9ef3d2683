"""Who is using the dashboard: the signed-in user of the browser session, or a redirect to the
sign-in page that comes back afterwards; and the refusal of forms posted from other sites."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from modelforge.identity import browser
from modelforge.identity.dependencies import forge
from modelforge.models import User
from modelforge.registry.access import Actor
from servicekit.web import url_path_for


class SignInRequired(Exception):
    """A page behind sign-in was asked for without a (live) browser session."""


async def current_user(request: Request) -> User:
    user = await browser.signed_in_user(request, forge(request).identity)
    if user is None:
        raise SignInRequired
    request.state.mf_user = user  # the layout shows who is signed in
    return user


async def current_actor(user: Annotated[User, Depends(current_user)]) -> Actor:
    return Actor(user.id, user.is_admin)


SignedInUser = Annotated[User, Depends(current_user)]
SignedIn = Annotated[Actor, Depends(current_actor)]


def sign_in_redirect(request: Request, _: Exception) -> Response:
    """To the sign-in page, with the page asked for as ``next`` (for htmx: the page it is on)."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):
        current = urlsplit(request.headers.get("hx-current-url", ""))
        wanted = current.path + (f"?{current.query}" if current.query else "")
    target = url_path_for(request, "ui-login") + "?" + urlencode({"next": wanted})
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
