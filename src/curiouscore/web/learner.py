"""The learner's pages under ``/ui``: sign up/in/out, dashboard, play, profile, leaderboard.

Every page calls the same services as the JSON API, with the signed-in principal from the
session cookies (``session_cookies``).
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from curiouscore.accounts.schemas import Credentials, Registration
from curiouscore.web import play_view, session_cookies
from curiouscore.web.catalogue import challenge_cards
from curiouscore.web.pages import (
    Core,
    PageRoute,
    SignedIn,
    Viewer,
    redirect,
    render,
    validation_message,
)
from servicekit.errors import ServiceError
from servicekit.web import url_path_for

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

LEADERBOARD_SIZE = 20


def _safe_next(request: Request, target: str | None) -> str:
    """Where to go after signing in: a page of this UI only (never another site)."""
    home = url_path_for(request, "ui-home")
    if target and target.startswith(home) and "//" not in target and "\\" not in target:
        return target
    return home


# --- signing in and out --------------------------------------------------------------------------


@router.get("/login", name="ui-login")
async def login_page(request: Request, principal: Viewer, next: str = "") -> Response:
    if principal.is_authenticated:
        return RedirectResponse(_safe_next(request, next), status_code=303)
    return render(request, "login.html", {"next": next, "error": None, "email": ""})


@router.post("/login", name="ui-login-submit")
async def login(request: Request, cc: Core) -> Response:
    form = await request.form()
    email, next_page = str(form.get("email", "")), str(form.get("next", ""))
    try:
        credentials = Credentials(email=email, password=str(form.get("password", "")))
        pair = await cc.accounts.login(credentials)
    except (ValidationError, ServiceError):
        context = {"next": next_page, "error": "Wrong email or password.", "email": email}
        return render(request, "login.html", context, 401)
    session_cookies.remember(request, pair)
    return RedirectResponse(_safe_next(request, next_page), status_code=303)


@router.get("/register", name="ui-register")
async def register_page(request: Request, principal: Viewer) -> Response:
    if principal.is_authenticated:
        return redirect(request, "ui-home")
    return render(request, "register.html", {"error": None, "email": "", "username": ""})


@router.post("/register", name="ui-register-submit")
async def register(request: Request, cc: Core) -> Response:
    form = await request.form()
    email, username = str(form.get("email", "")), str(form.get("username", "")).strip()
    context: dict[str, Any] = {"email": email, "username": username}
    try:
        registration = Registration(
            email=email, password=str(form.get("password", "")), username=username or None
        )
        pair = await cc.accounts.register(registration)
    except ValidationError as error:
        return render(
            request, "register.html", {**context, "error": validation_message(error)}, 422
        )
    except ServiceError as error:
        return render(request, "register.html", {**context, "error": error.message}, 409)
    session_cookies.remember(request, pair)
    return redirect(request, "ui-home")


@router.post("/logout", name="ui-logout")
async def logout(request: Request, cc: Core) -> Response:
    """Revoke the login session (its refresh token and access tokens), then clear the cookies."""
    refresh = request.cookies.get(session_cookies.REFRESH_COOKIE)
    if refresh:
        # Already spent or revoked: nothing is left to end.
        with contextlib.suppress(ServiceError):
            await cc.accounts.logout(None, refresh)
    session_cookies.remember(request, None)
    return redirect(request, "ui-login")


# --- the dashboard, profile and leaderboard ------------------------------------------------------


@router.get("", name="ui-home")
async def dashboard(request: Request, principal: SignedIn, cc: Core) -> HTMLResponse:
    user_id = principal.subject or ""
    progress = await cc.progress.dashboard(user_id)
    catalogue = await cc.challenges.list_public()
    context = {
        "user": await cc.accounts.get(user_id),
        "progress": progress,
        "cards": challenge_cards(catalogue, progress.challenges),
        "badges": await cc.progress.my_badges(user_id),
        "nav": "home",
    }
    return render(request, "dashboard.html", context)


@router.get("/profile", name="ui-profile")
async def profile(request: Request, principal: SignedIn, cc: Core) -> HTMLResponse:
    user_id = principal.subject or ""
    earned = {b.badge_id: b for b in await cc.progress.my_badges(user_id)}
    context = {
        "user": await cc.accounts.get(user_id),
        "progress": await cc.progress.dashboard(user_id),
        "badges": await cc.progress.badges(),
        "earned": earned,
        "nav": "profile",
    }
    return render(request, "profile.html", context)


@router.get("/leaderboard", name="ui-leaderboard")
async def leaderboard(request: Request, principal: SignedIn, cc: Core) -> HTMLResponse:
    context = {
        "entries": await cc.progress.leaderboard(LEADERBOARD_SIZE, principal.subject or ""),
        "nav": "leaderboard",
    }
    return render(request, "leaderboard.html", context)


# --- playing -------------------------------------------------------------------------------------


@router.post("/challenges/{challenge_id}/play", name="ui-play")
async def play(
    request: Request, challenge_id: uuid.UUID, principal: SignedIn, cc: Core
) -> Response:
    """A new session, started (the Game Master's opening narration included)."""
    user_id = principal.subject or ""
    created = await cc.play.create(user_id, challenge_id)
    await cc.play.start(user_id, created.session.id)
    return redirect(request, "ui-session", session_id=created.session.id)


@router.get("/sessions/{session_id}", name="ui-session")
async def session_page(
    request: Request, session_id: uuid.UUID, principal: SignedIn, cc: Core
) -> HTMLResponse:
    user_id = principal.subject or ""
    view = await cc.play.view(user_id, session_id)
    challenge = await cc.challenges.detail(view.session.challenge_id)
    ui = view.ui_response
    entries = play_view.transcript(ui)
    xp_gained, new_badges = 0, []
    if ui["status"] == "completed":
        xp_gained, new_badges = await cc.progress.session_rewards(user_id, session_id)
    context = {
        "session": view.session,
        # Only what a learner may see of the challenge: never steps, keys or prompts.
        "challenge": {
            "id": challenge.id,
            "title": challenge.title,
            "xp_reward": challenge.xp_reward,
            "passing_score": challenge.passing_score,
            "help_resources": challenge.help_resources,
        },
        "ui": ui,
        "widget": play_view.widget(ui),
        "entries": entries,
        "llm_trouble": play_view.llm_trouble(entries),
        "xp_gained": xp_gained,
        "new_badges": new_badges,
        "nav": "home",
    }
    return render(request, "session.html", context)


@router.post("/sessions/{session_id}/start", name="ui-start")
async def start(request: Request, session_id: uuid.UUID, principal: SignedIn, cc: Core) -> Response:
    """Start a session created elsewhere (the API, or a start that failed half-way)."""
    await cc.play.start(principal.subject or "", session_id)
    return redirect(request, "ui-session", session_id=session_id)


@router.post("/sessions/{session_id}/answer", name="ui-answer")
async def answer(
    request: Request, session_id: uuid.UUID, principal: SignedIn, cc: Core
) -> Response:
    user_id = principal.subject or ""
    ui = (await cc.play.view(user_id, session_id)).ui_response
    form = await request.form()
    fields = {key: form.getlist(key) for key in form}
    value = play_view.answer_from_form(ui["ui_mode"], len(ui["options"] or []), fields)
    await cc.play.attempt(user_id, session_id, value)
    return redirect(request, "ui-session", session_id=session_id)


@router.post("/sessions/{session_id}/action", name="ui-action")
async def action(
    request: Request, session_id: uuid.UUID, principal: SignedIn, cc: Core
) -> Response:
    form = await request.form()
    name = str(form.get("action", ""))
    if name not in ("continue", "hint", "abandon"):
        name = "unknown"
    await cc.play.act(principal.subject or "", session_id, name)
    if name == "abandon":
        return redirect(request, "ui-home")
    return redirect(request, "ui-session", session_id=session_id)
