"""Signing in and out of the dashboard: local accounts, GitHub, and the token its scripts use.

GitHub sign-in goes through the API's OAuth routes (``/api/v1/auth/github/login`` and its one
callback URL): this page only marks the flow as the dashboard's (see
``modelforge.identity.browser``), so the callback comes back here signed in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import ValidationError

from modelforge.identity import browser
from modelforge.identity.dependencies import forge
from modelforge.identity.schemas import RegisterRequest
from modelforge.identity.service import IdentityService
from modelforge.models import User
from modelforge.web.rendering import error_page, render
from modelforge.web.session import SignedInUser
from servicekit.errors import NotFound, ServiceError, Unprocessable
from servicekit.web import url_path_for
from servicekit.web.pages import html_error_route, same_origin_forms

router = APIRouter(prefix="/ui", route_class=html_error_route(error_page), include_in_schema=False)


def _return_path(request: Request, candidate: str | None) -> str:
    return browser.safe_return_path(candidate, url_path_for(request, "ui-models"))


def _login_page(
    request: Request, next_path: str, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    settings = forge(request).settings
    context = {
        "next": next_path,
        "error": error,
        "github_enabled": settings.github_enabled,
        "registration_open": settings.registration_open,
    }
    return render(request, "login.html", context, status_code)


@router.get("/login", name="ui-login")
async def login_page(request: Request, next: str | None = None) -> Response:
    next_path = _return_path(request, next)
    if await browser.signed_in_user(request, forge(request).identity) is not None:
        return RedirectResponse(next_path, status_code=303)
    return _login_page(request, next_path)


@dataclass(frozen=True)
class Credentials:
    """The sign-in and sign-up forms' fields."""

    login: str
    password: str
    next_path: str


async def credentials(
    request: Request,
    login: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Credentials:
    return Credentials(login, password, _return_path(request, next))


Posted = Annotated[Credentials, Depends(credentials)]
SignUp = Callable[[IdentityService, Credentials], Awaitable[User]]


async def _sign_in_with(request: Request, form: Credentials, account: SignUp) -> Response:
    """The user ``account`` finds or creates, signed in and sent back; or the sign-in page
    again with the reason."""
    identity = forge(request).identity
    try:
        user = await account(identity, form)
    except ServiceError as exc:
        return _login_page(request, form.next_path, error=exc.message, status_code=exc.status_code)
    await browser.sign_in(request, identity, user)
    return RedirectResponse(form.next_path, status_code=303)


async def _existing(identity: IdentityService, form: Credentials) -> User:
    return await identity.authenticate_password(form.login, form.password)


async def _new(identity: IdentityService, form: Credentials) -> User:
    try:
        body = RegisterRequest(login=form.login, password=form.password)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise Unprocessable(problems) from exc
    return await identity.register(body.login, body.password)


@router.post("/login", name="ui-login-submit", dependencies=[Depends(same_origin_forms)])
async def login_submit(request: Request, form: Posted) -> Response:
    return await _sign_in_with(request, form, _existing)


@router.post("/register", name="ui-register", dependencies=[Depends(same_origin_forms)])
async def register_submit(request: Request, form: Posted) -> Response:
    """A local account (the first one on an installation is its admin), signed in at once."""
    return await _sign_in_with(request, form, _new)


@router.get("/login/github", name="ui-login-github")
async def login_github(request: Request, next: str | None = None) -> Response:
    if not forge(request).settings.github_enabled:
        raise NotFound("GitHub sign-in is not configured (GITHUB_ID, GITHUB_SECRET)")
    browser.remember_return(request, _return_path(request, next))
    return RedirectResponse(url_path_for(request, "github_login"), status_code=303)


@router.post("/logout", name="ui-logout", dependencies=[Depends(same_origin_forms)])
async def logout(request: Request) -> Response:
    await browser.sign_out(request, forge(request).identity)
    return RedirectResponse(url_path_for(request, "ui-login"), status_code=303)


@router.post("/session/token", name="ui-session-token", dependencies=[Depends(same_origin_forms)])
async def session_token(request: Request, user: SignedInUser) -> JSONResponse:
    """A short-lived access token of this browser session, for the page's calls to the API
    (upload with progress, predict); kept in the page's memory only and revoked at sign-out."""
    session_id = request.session[browser.SESSION_KEY]
    token, expires_in = forge(request).identity.browser_access_token(user, session_id)
    return JSONResponse(
        {"access_token": token, "token_type": "bearer", "expires_in": expires_in},
        headers={"Cache-Control": "no-store"},
    )
