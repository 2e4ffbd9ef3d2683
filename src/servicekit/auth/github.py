"""Log in with GitHub (OAuth 2 web flow) through authlib's Starlette client.

``login`` redirects the browser to GitHub with a random ``state`` kept in the signed session
cookie; ``callback`` checks that state, exchanges the code for a token and reads the user, asking
``/user/emails`` when the profile email is private. The result is a ``GitHubProfile``; what a
login means (create the user, issue tokens, set a cookie) is the service's ``on_login``.

The app needs Starlette's ``SessionMiddleware`` (``same_site="lax"``, its default, so the cookie
comes back on GitHub's redirect), and the endpoints are configurable so GitHub Enterprise and the
local test server (``servicekit.testing.auth``) can stand in for github.com.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, SecretStr

from servicekit.errors import ServiceError

DEFAULT_SCOPE = "read:user user:email"


@dataclass(frozen=True)
class GitHubEndpoints:
    authorize_url: str = "https://github.com/login/oauth/authorize"
    access_token_url: str = "https://github.com/login/oauth/access_token"  # noqa: S105 (a URL)
    api_base_url: str = "https://api.github.com/"

    @classmethod
    def enterprise(cls, base_url: str) -> GitHubEndpoints:
        """GitHub Enterprise Server at ``base_url`` (its REST API lives under ``/api/v3``)."""
        base = base_url.rstrip("/")
        return cls(
            authorize_url=f"{base}/login/oauth/authorize",
            access_token_url=f"{base}/login/oauth/access_token",
            api_base_url=f"{base}/api/v3/",
        )


class GitHubProfile(BaseModel):
    """The GitHub user, normalised: ``id`` is stable, ``login`` can be renamed by its owner."""

    model_config = ConfigDict(frozen=True)

    id: int
    login: str
    name: str | None = None
    email: str | None = None
    avatar_url: str | None = None


class GitHubLoginFailed(ServiceError):
    """The user denied access, the state did not match, or the code was refused."""

    status_code = 400
    code = "github_login_failed"


class GitHubUnavailable(ServiceError):
    """GitHub answered the token exchange but its API then failed."""

    status_code = 502
    code = "github_unavailable"


class GitHubOAuth:
    """The ``github`` OAuth client of one app."""

    def __init__(
        self,
        client_id: str,
        client_secret: SecretStr,
        *,
        endpoints: GitHubEndpoints | None = None,
        scope: str = DEFAULT_SCOPE,
    ) -> None:
        endpoints = endpoints or GitHubEndpoints()
        self._oauth = OAuth()
        self.client: Any = self._oauth.register(
            name="github",
            client_id=client_id,
            client_secret=client_secret.get_secret_value(),
            authorize_url=endpoints.authorize_url,
            access_token_url=endpoints.access_token_url,
            api_base_url=endpoints.api_base_url,
            # GitHub documents client credentials in the POST body.
            client_kwargs={"scope": scope, "token_endpoint_auth_method": "client_secret_post"},
        )

    async def login(self, request: Request, redirect_uri: str) -> Response:
        """Redirect to GitHub's authorization page; GitHub sends the browser to ``redirect_uri``."""
        response: Response = await self.client.authorize_redirect(request, redirect_uri)
        return response

    async def callback(self, request: Request) -> GitHubProfile:
        """Finish the login GitHub redirected back to: the user's profile, or an error."""
        try:
            token = await self.client.authorize_access_token(request)
        except OAuthError as exc:
            raise GitHubLoginFailed(f"GitHub login failed: {exc.description or exc.error}") from exc
        try:
            user = await self._get_json("user", token)
            email = user.get("email") or _primary_email(await self._get_json("user/emails", token))
        except httpx.HTTPError as exc:
            raise GitHubUnavailable(f"GitHub API request failed: {exc}") from exc
        return GitHubProfile(
            id=user["id"],
            login=user["login"],
            name=user.get("name"),
            email=email,
            avatar_url=user.get("avatar_url"),
        )

    async def _get_json(self, path: str, token: dict[str, Any]) -> Any:
        response = await self.client.get(
            path, token=token, headers={"Accept": "application/vnd.github+json"}
        )
        response.raise_for_status()
        return response.json()


def _primary_email(emails: list[dict[str, Any]]) -> str | None:
    """The primary verified address, else any verified one: never an unverified address, which
    anyone could have typed into their GitHub settings."""
    verified = [entry for entry in emails if entry.get("verified")]
    for entry in verified:
        if entry.get("primary"):
            return str(entry["email"])
    return str(verified[0]["email"]) if verified else None


LoginHandler = Callable[[Request, GitHubProfile], Awaitable[Response]]


def github_login_router(
    github: GitHubOAuth,
    *,
    on_login: LoginHandler,
    prefix: str = "/auth/github",
    callback_url: str | None = None,
) -> APIRouter:
    """``GET {prefix}/login`` and ``GET {prefix}/callback``; ``on_login`` answers the callback.

    ``callback_url`` is the absolute callback URL registered with the GitHub OAuth app; without
    it, it is derived from the request (right when the app sees its public host and scheme).
    """
    router = APIRouter(prefix=prefix, tags=["auth"])

    @router.get("/login", name="github_login")
    async def login(request: Request) -> Response:
        redirect_uri = callback_url or str(request.url_for("github_callback"))
        return await github.login(request, redirect_uri)

    @router.get("/callback", name="github_callback")
    async def callback(request: Request) -> Response:
        return await on_login(request, await github.callback(request))

    return router
