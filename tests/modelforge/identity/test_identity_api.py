"""Sign-in (local and GitHub), sessions, personal API tokens, and the first-admin flow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from modelforge.config import Settings
from modelforge.main import build_app
from modelforge.runtime import migrations
from servicekit.testing.app import app_client
from servicekit.testing.auth import GitHubAccount, LocalGitHub

Headers = dict[str, str]


async def test_first_account_is_admin_and_login_refresh_me(mf_client: httpx.AsyncClient) -> None:
    first = await mf_client.post(
        "/api/v1/auth/register", json={"login": "root", "password": "root-password-1"}
    )
    second = await mf_client.post(
        "/api/v1/auth/register", json={"login": "carol", "password": "carol-password-1"}
    )
    assert first.status_code == second.status_code == 201
    taken = await mf_client.post(
        "/api/v1/auth/register", json={"login": "Carol", "password": "another-password"}
    )
    assert taken.status_code == 409

    def bearer(body: dict[str, Any]) -> Headers:
        return {"Authorization": f"Bearer {body['access_token']}"}

    assert (await mf_client.get("/api/v1/auth/me", headers=bearer(first.json()))).json()[
        "is_admin"
    ] is True
    assert (await mf_client.get("/api/v1/auth/me", headers=bearer(second.json()))).json()[
        "is_admin"
    ] is False

    wrong = await mf_client.post(
        "/api/v1/auth/login", json={"login": "carol", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == 401
    login = await mf_client.post(
        "/api/v1/auth/login", json={"login": "carol", "password": "carol-password-1"}
    )
    assert login.status_code == 200
    refreshed = await mf_client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200
    me = await mf_client.get("/api/v1/auth/me", headers=bearer(refreshed.json()))
    assert me.json()["login"] == "carol"
    # A refresh token is single-use.
    reused = await mf_client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert reused.status_code == 401
    assert (await mf_client.get("/api/v1/auth/me")).status_code == 401
    garbage = await mf_client.get(
        "/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"}
    )
    assert garbage.status_code == 401


async def test_api_tokens_are_shown_once_scoped_and_revocable(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any
) -> None:
    alice = users["alice"]
    created = await mf_client.post(
        "/api/v1/tokens", json={"name": "ci", "scopes": ["read", "write"]}, headers=alice
    )
    assert created.status_code == 201, created.text
    secret = created.json()["token"]
    assert secret.startswith("mf_")
    listed = (await mf_client.get("/api/v1/tokens", headers=alice)).json()
    assert [t["name"] for t in listed] == ["ci"]
    assert all("token" not in t and secret not in str(t) for t in listed)  # never shown again

    machine = {"Authorization": f"Bearer {secret}"}
    model = await api.create_model(mf_client, machine, "from-ci")
    assert model["owner_id"] == (await mf_client.get("/api/v1/auth/me", headers=alice)).json()["id"]
    assert (await mf_client.get("/api/v1/models", headers={"X-API-Key": secret})).json()[
        "total"
    ] == 1

    read_only = await mf_client.post(
        "/api/v1/tokens", json={"name": "ro", "scopes": ["read"]}, headers=alice
    )
    reader = {"Authorization": f"Bearer {read_only.json()['token']}"}
    assert (await mf_client.get("/api/v1/models", headers=reader)).status_code == 200
    refused = await mf_client.post("/api/v1/models", json={"name": "x"}, headers=reader)
    assert refused.status_code == 403

    # Only admins may mint admin tokens; unknown scopes are refused.
    admin_scope = await mf_client.post(
        "/api/v1/tokens", json={"name": "a", "scopes": ["admin"]}, headers=alice
    )
    assert admin_scope.status_code == 403
    unknown = await mf_client.post(
        "/api/v1/tokens", json={"name": "a", "scopes": ["root"]}, headers=alice
    )
    assert unknown.status_code == 422

    # Bob cannot revoke Alice's token; Alice can, and it stops working at once.
    token_id = created.json()["id"]
    assert (
        await mf_client.delete(f"/api/v1/tokens/{token_id}", headers=users["bob"])
    ).status_code == 404
    assert (await mf_client.delete(f"/api/v1/tokens/{token_id}", headers=alice)).status_code == 204
    assert (await mf_client.get("/api/v1/models", headers=machine)).status_code == 401
    revoked = [
        t
        for t in (await mf_client.get("/api/v1/tokens", headers=alice)).json()
        if t["id"] == token_id
    ]
    assert revoked[0]["revoked_at"] is not None


async def test_github_sign_in(mf_settings: Settings, github_oauth_server: LocalGitHub) -> None:
    settings = mf_settings.model_copy(
        update={
            "github_id": github_oauth_server.client_id,
            "github_secret": SecretStr(github_oauth_server.client_secret),
        }
    )
    github_oauth_server.account = GitHubAccount(id=4242, login="octo", name="Octo Cat")
    app = build_app(settings, github_endpoints=github_oauth_server.endpoints)
    async with app_client(app) as client, httpx.AsyncClient() as browser:

        async def sign_in() -> httpx.Response:
            start = await client.get("/api/v1/auth/github/login")
            assert start.status_code == 302
            approved = await browser.get(start.headers["location"])
            assert approved.status_code == 302
            callback = approved.headers["location"].removeprefix("http://testserver")
            return await client.get(callback)

        answer = await sign_in()
        assert answer.status_code == 200, answer.text
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        me = (await client.get("/api/v1/auth/me", headers=headers)).json()
        assert (me["login"], me["github_id"], me["email"]) == ("octo", 4242, "octocat@example.com")
        assert me["is_admin"] is True  # the installation's first account

        again = await sign_in()  # the same GitHub identity: the same account
        me_again = await client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {again.json()['access_token']}"}
        )
        assert me_again.json()["id"] == me["id"]

        github_oauth_server.deny = True
        denied = await sign_in()
        assert denied.status_code in (400, 401)
        assert "access_token" not in denied.text


async def test_production_closes_sign_up_after_the_first_admin(
    make_database: Callable[[str], str], redis_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        _env_file=None,
        environment="production",
        database_url=make_database("modelforge"),
        redis_url=redis_url,
        secret_key="modelforge-test-secret-key-0123456789",
        model_storage_path=tmp_path,
    )
    migrations(settings).upgrade()  # production does not migrate at start
    async with app_client(build_app(settings)) as client:
        first = await client.post(
            "/api/v1/auth/register", json={"login": "boss", "password": "boss-password-1"}
        )
        assert first.status_code == 201
        second = await client.post(
            "/api/v1/auth/register", json={"login": "eve", "password": "eve-password-1"}
        )
        assert second.status_code == 403


async def test_admin_powers_of_tokens_need_the_admin_scope(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any
) -> None:
    await api.create_model(mf_client, users["alice"], "private-one")

    async def token(scopes: list[str]) -> Headers:
        response = await mf_client.post(
            "/api/v1/tokens", json={"name": "t", "scopes": scopes}, headers=users["admin"]
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    admin_token = await token(["read", "admin"])
    read_token = await token(["read"])
    assert (await mf_client.get("/api/v1/models", headers=admin_token)).json()["total"] == 1
    assert (await mf_client.get("/api/v1/models", headers=read_token)).json()["total"] == 0


async def test_logout_revokes_the_session(mf_client: httpx.AsyncClient) -> None:
    pair = (
        await mf_client.post(
            "/api/v1/auth/register", json={"login": "dave", "password": "dave-password-1"}
        )
    ).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert (await mf_client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    out = await mf_client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204
    assert (await mf_client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    again = await mf_client.post(
        "/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert again.status_code == 401
