"""Accounts: registration, login, token lifetimes, rotation, logout, roles."""

from __future__ import annotations

import uuid

import jwt
import pytest

from curiouscore.main import build_app
from servicekit.testing.app import app_client

PASSWORD = "correct horse battery"


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@Example.com"


async def test_register_login_me(client) -> None:
    email = unique_email()
    registered = await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201
    tokens = registered.json()
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"]
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    body = me.json()
    assert body["email"] == email.lower() and body["role"] == "learner"
    assert (
        body["username"] == email.split("@")[0].lower() and body["xp"] == 0 and body["level"] == 1
    )
    login = await client.post("/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert login.status_code == 200


async def test_access_tokens_last_thirty_minutes(client) -> None:
    tokens = (
        await client.post("/auth/register", json={"email": unique_email(), "password": PASSWORD})
    ).json()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30 * 60 == tokens["expires_in"]
    assert claims["role"] == "learner"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, 422),
        ({"email": "a@b.co", "password": "short"}, 422),
        ({"email": "a@b.co", "password": PASSWORD, "role": "admin"}, 422),
    ],
)
async def test_registration_is_validated(client, body, status) -> None:
    answer = await client.post("/auth/register", json=body)
    assert answer.status_code == status
    assert answer.json()["error"]["message"]


async def test_duplicate_email_and_bad_credentials(client) -> None:
    email = unique_email()
    await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    again = await client.post("/auth/register", json={"email": email.lower(), "password": PASSWORD})
    assert again.status_code == 409 and again.json()["detail"] == "Email already registered"
    wrong = await client.post("/auth/login", json={"email": email, "password": "wrong password"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Invalid credentials"
    nobody = await client.post("/auth/login", json={"email": unique_email(), "password": PASSWORD})
    assert nobody.status_code == 401


async def test_refresh_rotates_and_reuse_revokes_the_session(client) -> None:
    first = (
        await client.post("/auth/register", json={"email": unique_email(), "password": PASSWORD})
    ).json()
    second = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    reused = await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    # Reuse means theft: the whole login session is revoked, including the newest tokens.
    after = await client.post("/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401
    me = await client.get(
        "/auth/me", headers={"Authorization": f"Bearer {rotated['access_token']}"}
    )
    assert me.status_code == 401


async def test_logout_revokes_access_and_refresh_tokens(client) -> None:
    tokens = (
        await client.post("/auth/register", json={"email": unique_email(), "password": PASSWORD})
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.post("/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/auth/me", headers=headers)).status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401


async def test_profile_edits_cannot_touch_xp_level_or_role(client, register) -> None:
    headers = await register()
    ok = await client.patch(
        "/profile",
        json={"username": "new-name", "avatar_url": "https://example.com/a.png"},
        headers=headers,
    )
    assert ok.status_code == 200 and ok.json()["username"] == "new-name"
    for forbidden in ({"xp": 99999}, {"level": 50}, {"role": "admin"}):
        answer = await client.patch("/profile", json=forbidden, headers=headers)
        assert answer.status_code == 422
    me = (await client.get("/profile", headers=headers)).json()
    assert (me["xp"], me["level"], me["role"]) == (0, 1, "learner")


async def test_no_one_becomes_admin_by_registering_first(make_database, settings_for) -> None:
    app = build_app(settings_for(make_database("curiouscore_fresh")))
    async with app_client(app) as fresh:
        tokens = (
            await fresh.post("/auth/register", json={"email": unique_email(), "password": PASSWORD})
        ).json()
        me = await fresh.get(
            "/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert me.json()["role"] == "learner"


async def test_role_change_applies_at_once(client, admin, core) -> None:
    email = unique_email()
    tokens = (
        await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    user_id = (await client.get("/auth/me", headers=headers)).json()["id"]
    promoted = await client.patch(
        f"/admin/users/{user_id}/role", json={"role": "admin"}, headers=admin
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "admin"
    # Old tokens carried the old role: they are revoked, a new login carries the new one.
    assert (await client.get("/auth/me", headers=headers)).status_code == 401
    login = (await client.post("/auth/login", json={"email": email, "password": PASSWORD})).json()
    fresh = {"Authorization": f"Bearer {login['access_token']}"}
    assert (await client.get("/admin/challenges", headers=fresh)).status_code == 200


async def test_rate_limit_on_login(cc_database, settings_for) -> None:
    app = build_app(settings_for(cc_database, auth_rate_limit="3/minute"))
    async with app_client(app) as limited:
        codes = []
        for _ in range(4):
            answer = await limited.post(
                "/auth/login", json={"email": "x@example.com", "password": "wrong password"}
            )
            codes.append(answer.status_code)
        assert codes == [401, 401, 401, 429]
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.json()["error"]["code"] == "rate_limited"


async def test_create_admin_promotes_and_signs_out_an_existing_account(client, core) -> None:
    email = unique_email()
    tokens = (
        await client.post("/auth/register", json={"email": email, "password": PASSWORD})
    ).json()
    await core.accounts.create_admin(email, "the operator's new password", None)
    old = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/auth/me", headers=old)).status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    stale = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert stale.status_code == 401
    login = await client.post(
        "/auth/login", json={"email": email, "password": "the operator's new password"}
    )
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/auth/me", headers=fresh)).json()["role"] == "admin"


async def test_logout_with_only_the_refresh_token(client) -> None:
    tokens = (
        await client.post("/auth/register", json={"email": unique_email(), "password": PASSWORD})
    ).json()
    # No Authorization header: the client's access token may have expired.
    out = await client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/auth/me", headers=headers)).status_code == 401
    refreshed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    junk = await client.post("/auth/logout", json={"refresh_token": "not a token"})
    assert junk.status_code == 401
