"""A local GitHub for tests: the OAuth web flow and the user endpoints, over real HTTP.

GitHub itself cannot be reached from tests, so this server speaks its protocol on 127.0.0.1 and
the real client code (authlib, httpx) runs unchanged against it:

- ``GET /login/oauth/authorize``: approves at once as ``account`` and redirects to
  ``redirect_uri`` with ``code`` and ``state`` (or with ``error=access_denied`` when ``deny``);
- ``POST /login/oauth/access_token``: exchanges a code once for a token, as JSON when asked
  with ``Accept: application/json``, form-encoded otherwise, and like GitHub answers errors with
  200 and an ``error`` field;
- ``GET /user`` and ``GET /user/emails``: need ``Authorization: Bearer|token <token>``.

Use the ``github_oauth_server`` fixture, or ``LocalGitHub`` as a context manager (browser tests).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from servicekit.auth.github import GitHubEndpoints
from servicekit.testing.server import serve_in_thread

__all__ = ["GitHubAccount", "LocalGitHub", "github_oauth_server"]


@dataclass
class GitHubAccount:
    """The user who approves the next authorization. ``email=None`` is a private email."""

    id: int = 583231
    login: str = "octocat"
    name: str | None = "The Octocat"
    email: str | None = None
    avatar_url: str = "https://avatars.githubusercontent.com/u/583231?v=4"
    emails: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"email": "octo@old.example", "primary": False, "verified": True, "visibility": None},
            {"email": "octocat@example.com", "primary": True, "verified": True, "visibility": None},
        ]
    )

    def user_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "login": self.login,
            "name": self.name,
            "email": self.email,
            "avatar_url": self.avatar_url,
            "type": "User",
        }


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    scope: str
    account: GitHubAccount


class LocalGitHub:
    """GitHub's OAuth and user endpoints, served by uvicorn in a thread on a free port."""

    client_id = "Iv1.localgithub0001"
    client_secret = "local-github-client-secret"  # noqa: S105 (a test fixture's own secret)

    def __init__(self, account: GitHubAccount | None = None) -> None:
        self.account = account or GitHubAccount()
        self.deny = False  # the next authorization is refused by the "user"
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, GitHubAccount] = {}
        self._serving: AbstractContextManager[str] | None = None
        self.base_url = ""

    @property
    def endpoints(self) -> GitHubEndpoints:
        return GitHubEndpoints(
            authorize_url=f"{self.base_url}/login/oauth/authorize",
            access_token_url=f"{self.base_url}/login/oauth/access_token",
            api_base_url=f"{self.base_url}/",
        )

    def start(self) -> None:
        self._serving = serve_in_thread(self._app(), lifespan="off")
        self.base_url = self._serving.__enter__()

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.__exit__(None, None, None)
        self._serving = None

    def __enter__(self) -> LocalGitHub:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/login/oauth/authorize", self._authorize, methods=["GET"]),
                Route("/login/oauth/access_token", self._access_token, methods=["POST"]),
                Route("/user", self._user, methods=["GET"]),
                Route("/user/emails", self._user_emails, methods=["GET"]),
            ]
        )

    async def _authorize(self, request: Request) -> Response:
        params = request.query_params
        redirect_uri = params.get("redirect_uri")
        if params.get("client_id") != self.client_id or not redirect_uri:
            return PlainTextResponse("unknown client_id or missing redirect_uri", status_code=404)
        state = {"state": params["state"]} if "state" in params else {}
        if self.deny:
            query = {"error": "access_denied", "error_description": "The user denied access."}
            return RedirectResponse(f"{redirect_uri}?{urlencode({**query, **state})}", 302)
        code = secrets.token_hex(10)
        self._codes[code] = _Grant(
            self.client_id, redirect_uri, params.get("scope", ""), self.account
        )
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, **state})}", 302)

    async def _access_token(self, request: Request) -> Response:
        form = dict(await request.form())
        client_id, client_secret = _basic_credentials(request) or (
            form.get("client_id"),
            form.get("client_secret"),
        )
        grant = self._codes.pop(str(form.get("code", "")), None)
        if client_id != self.client_id or client_secret != self.client_secret:
            body = {"error": "incorrect_client_credentials"}
        elif grant is None:
            body = {"error": "bad_verification_code"}
        elif form.get("redirect_uri") not in (None, grant.redirect_uri):
            body = {"error": "redirect_uri_mismatch"}
        else:
            token = f"gho_{secrets.token_hex(18)}"
            self._tokens[token] = grant.account
            body = {"access_token": token, "token_type": "bearer", "scope": grant.scope}
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(body)
        return PlainTextResponse(urlencode(body), media_type="application/x-www-form-urlencoded")

    async def _user(self, request: Request) -> Response:
        account = self._account_of(request)
        if account is None:
            return _requires_authentication()
        return JSONResponse(account.user_json())

    async def _user_emails(self, request: Request) -> Response:
        account = self._account_of(request)
        if account is None:
            return _requires_authentication()
        return JSONResponse(account.emails)

    def _account_of(self, request: Request) -> GitHubAccount | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self._tokens.get(token.strip())


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user, password


def _requires_authentication() -> Response:
    return JSONResponse(
        {
            "message": "Requires authentication",
            "documentation_url": "https://docs.github.com/rest",
        },
        status_code=401,
    )


@pytest.fixture
def github_oauth_server() -> Iterator[LocalGitHub]:
    """A running local GitHub; set ``.account`` to choose who logs in, ``.deny`` to refuse."""
    with LocalGitHub() as server:
        yield server
