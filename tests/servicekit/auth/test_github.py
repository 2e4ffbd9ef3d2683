"""GitHub login, end to end: a FastAPI app, authlib, and the local GitHub over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from starlette.middleware.sessions import SessionMiddleware

from servicekit.app import create_app
from servicekit.auth import GitHubEndpoints, GitHubOAuth, GitHubProfile, github_login_router
from servicekit.testing.auth import GitHubAccount, LocalGitHub


async def answer_profile(request: Request, profile: GitHubProfile) -> Response:
    return JSONResponse(profile.model_dump())


@pytest.fixture
def app(github_oauth_server: LocalGitHub) -> FastAPI:
    github = GitHubOAuth(
        github_oauth_server.client_id,
        SecretStr(github_oauth_server.client_secret),
        endpoints=github_oauth_server.endpoints,
    )
    app = create_app(
        title="gh-test", version="0", routers=[github_login_router(github, on_login=answer_profile)]
    )
    app.add_middleware(SessionMiddleware, secret_key="session-secret-for-tests")
    return app


def browser_for(app: FastAPI) -> httpx.AsyncClient:
    """A client keeping cookies, as a browser does (redirects are followed by hand)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def app_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_for(app) as client:
        yield client


async def start_login(app_client: httpx.AsyncClient) -> str:
    """Follow the app's redirect to GitHub; returns GitHub's redirect back to the app."""
    login = await app_client.get("/auth/github/login")
    assert login.status_code == 302
    authorize_url = login.headers["location"]
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/auth/github/callback"]
    assert query["scope"] == ["read:user user:email"]
    assert query["state"][0]

    async with httpx.AsyncClient() as browser:
        approved = await browser.get(authorize_url)
    assert approved.status_code == 302
    return approved.headers["location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


async def test_full_login_returns_profile_with_private_email_resolved(
    app_client: httpx.AsyncClient, github_oauth_server: LocalGitHub
) -> None:
    back = await start_login(app_client)

    response = await app_client.get(callback_path(back))

    assert response.status_code == 200
    assert response.json() == {
        "id": 583231,
        "login": "octocat",
        "name": "The Octocat",
        "email": "octocat@example.com",  # the primary verified one, from /user/emails
        "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
    }


async def test_public_email_is_taken_from_the_profile(
    app_client: httpx.AsyncClient, github_oauth_server: LocalGitHub
) -> None:
    github_oauth_server.account = GitHubAccount(
        id=7, login="ada", name=None, email="ada@example.org", emails=[]
    )
    back = await start_login(app_client)

    profile = (await app_client.get(callback_path(back))).json()

    assert (profile["id"], profile["login"], profile["name"], profile["email"]) == (
        7,
        "ada",
        None,
        "ada@example.org",
    )


async def test_unverified_email_is_never_used(
    app_client: httpx.AsyncClient, github_oauth_server: LocalGitHub
) -> None:
    github_oauth_server.account = GitHubAccount(
        emails=[{"email": "victim@example.com", "primary": True, "verified": False}]
    )
    back = await start_login(app_client)

    assert (await app_client.get(callback_path(back))).json()["email"] is None


async def test_wrong_state_is_refused(app_client: httpx.AsyncClient) -> None:
    back = await start_login(app_client)
    query = parse_qs(urlsplit(back).query)
    forged = urlencode({"code": query["code"][0], "state": "attacker-chosen-state"})

    response = await app_client.get(f"/auth/github/callback?{forged}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "github_login_failed"


async def test_callback_without_a_login_in_this_browser_is_refused(
    app: FastAPI, app_client: httpx.AsyncClient
) -> None:
    back = await start_login(app_client)
    async with browser_for(app) as stranger:  # another browser: no session cookie, no state
        response = await stranger.get(callback_path(back))
    assert response.status_code == 400


async def test_code_is_single_use(app_client: httpx.AsyncClient) -> None:
    back = await start_login(app_client)
    assert (await app_client.get(callback_path(back))).status_code == 200
    assert (await app_client.get(callback_path(back))).status_code == 400


async def test_denied_authorization_is_refused(
    app_client: httpx.AsyncClient, github_oauth_server: LocalGitHub
) -> None:
    github_oauth_server.deny = True
    back = await start_login(app_client)

    response = await app_client.get(callback_path(back))

    assert response.status_code == 400
    assert "denied" in response.json()["detail"]


async def test_local_github_requires_a_token_like_github(
    github_oauth_server: LocalGitHub,
) -> None:
    async with httpx.AsyncClient(base_url=github_oauth_server.base_url) as api:
        assert (await api.get("/user")).status_code == 401
        assert (await api.get("/user", headers={"Authorization": "token nope"})).status_code == 401
        # Form-encoded answer unless JSON is asked for, as GitHub does.
        refused = await api.post("/login/oauth/access_token", data={"code": "x"})
        assert parse_qs(refused.text) == {"error": ["incorrect_client_credentials"]}


def test_enterprise_endpoints() -> None:
    endpoints = GitHubEndpoints.enterprise("https://github.example.com/")
    assert endpoints.authorize_url == "https://github.example.com/login/oauth/authorize"
    assert endpoints.access_token_url == "https://github.example.com/login/oauth/access_token"
    assert endpoints.api_base_url == "https://github.example.com/api/v3/"
