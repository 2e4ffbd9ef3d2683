"""The FastAPI side: 401/403 answers, WWW-Authenticate, tokens and API keys as principals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI

from servicekit.app import create_app
from servicekit.auth import (
    ApiKeyStore,
    Authenticator,
    Principal,
    RefreshTokenStore,
    TokenCodec,
    TokenReuseError,
    current_principal,
    principal_rate_key,
    require,
)
from servicekit.ratelimit import RateLimiter

from .conftest import ApiKey, RefreshToken


def _describe(principal: Principal) -> dict[str, Any]:
    return {
        "kind": principal.kind.value,
        "subject": principal.subject,
        "scopes": sorted(principal.scopes),
        "roles": sorted(principal.roles),
        "tenant_id": principal.tenant_id,
    }


def build_app(authenticator: Authenticator) -> FastAPI:
    router = APIRouter()
    limiter = RateLimiter.from_url("memory://", namespace="auth-tests")

    @router.get("/public")
    async def public(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
        return _describe(principal)

    @router.get("/me")
    async def me(principal: Principal = Depends(require())) -> dict[str, Any]:
        return _describe(principal)

    @router.get("/claims")
    async def claims(principal: Principal = Depends(require("claims:read"))) -> dict[str, Any]:
        return _describe(principal)

    @router.get("/admin")
    async def admin(
        principal: Principal = Depends(
            require(roles=["admin"], forbidden_message="Admin access required")
        ),
    ) -> dict[str, Any]:
        return _describe(principal)

    @router.get(
        "/limited",
        dependencies=[Depends(limiter.limit("2/minute", key=principal_rate_key))],
    )
    async def limited() -> dict[str, str]:
        return {"ok": "yes"}

    app = create_app(title="auth-test", version="0", routers=[router])
    authenticator.install(app)
    return app


@pytest.fixture
async def client(
    codec: TokenCodec,
    refresh_store: RefreshTokenStore[RefreshToken],
    api_key_store: ApiKeyStore[ApiKey],
) -> AsyncIterator[httpx.AsyncClient]:
    authenticator = Authenticator(
        tokens=codec, sessions=refresh_store, api_keys=api_key_store, superuser_scope="admin"
    )
    transport = httpx.ASGITransport(app=build_app(authenticator))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_missing_credentials_are_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get("/me")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"] == "Not authenticated"
    assert response.json()["error"]["code"] == "unauthorized"


async def test_anonymous_is_allowed_where_the_route_allows_it(client: httpx.AsyncClient) -> None:
    response = await client.get("/public")
    assert response.status_code == 200
    assert response.json()["kind"] == "anonymous"


async def test_non_bearer_authorization_is_not_a_credential(client: httpx.AsyncClient) -> None:
    response = await client.get("/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert response.status_code == 401


async def test_valid_access_token_gives_a_user_principal(
    client: httpx.AsyncClient, codec: TokenCodec
) -> None:
    token = codec.issue_access("u1", scopes=["claims:read"], role="member", tenant_id="t1").token

    response = await client.get("/me", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {
        "kind": "user",
        "subject": "u1",
        "scopes": ["claims:read"],
        "roles": ["member"],
        "tenant_id": "t1",
    }


async def test_expired_access_token_is_401_token_expired(
    client: httpx.AsyncClient, codec: TokenCodec
) -> None:
    token = codec.issue_access("u1", now=datetime.now(UTC) - timedelta(hours=1)).token

    response = await client.get("/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_tampered_token_is_401_even_on_a_public_route(
    client: httpx.AsyncClient, codec: TokenCodec
) -> None:
    token = codec.issue_access("u1").token[:-2] + "xx"

    response = await client.get("/public", headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


async def test_refresh_token_is_refused_as_access_token(
    client: httpx.AsyncClient, refresh_store: RefreshTokenStore[RefreshToken]
) -> None:
    refresh = await refresh_store.start_session("u1")

    response = await client.get("/me", headers=bearer(refresh.token))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "wrong_token_type"


async def test_logout_revokes_access_tokens_of_the_session(
    client: httpx.AsyncClient, codec: TokenCodec, refresh_store: RefreshTokenStore[RefreshToken]
) -> None:
    refresh = await refresh_store.start_session("u1")
    access = codec.issue_access("u1", session_id=refresh.claims.session_id).token
    assert (await client.get("/me", headers=bearer(access))).status_code == 200

    await refresh_store.revoke(refresh.token)

    response = await client.get("/me", headers=bearer(access))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"


async def test_refresh_token_reuse_also_kills_the_sessions_access_tokens(
    client: httpx.AsyncClient, codec: TokenCodec, refresh_store: RefreshTokenStore[RefreshToken]
) -> None:
    first = await refresh_store.start_session("u1")
    second = await refresh_store.rotate(first.token)
    access = codec.issue_access("u1", session_id=second.claims.session_id).token
    assert (await client.get("/me", headers=bearer(access))).status_code == 200

    with pytest.raises(TokenReuseError):
        await refresh_store.rotate(first.token)

    assert (await client.get("/me", headers=bearer(access))).status_code == 401


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
async def test_api_key_gives_its_owner_principal(
    client: httpx.AsyncClient, api_key_store: ApiKeyStore[ApiKey], header: str
) -> None:
    created = await api_key_store.create(scopes=["claims:read"], owner="ext-42")
    value = created.plaintext if header == "X-API-Key" else f"Bearer {created.plaintext}"

    response = await client.get("/claims", headers={header: value})

    assert response.status_code == 200
    assert response.json()["kind"] == "api_key"
    assert response.json()["subject"] == "ext-42"


async def test_refused_api_keys_are_401(
    client: httpx.AsyncClient, api_key_store: ApiKeyStore[ApiKey]
) -> None:
    revoked = await api_key_store.create(owner="u")
    await api_key_store.revoke(revoked.row.id)
    expired = await api_key_store.create(owner="u", expires_at=datetime.now(UTC) - timedelta(1))
    valid = await api_key_store.create(owner="u")
    wrong_secret = valid.plaintext[:-4] + (
        "aaaa" if not valid.plaintext.endswith("aaaa") else "bbbb"
    )

    codes = {}
    for name, key in {
        "revoked": revoked.plaintext,
        "expired": expired.plaintext,
        "wrong": wrong_secret,
        "malformed": "pk_nonsense",
    }.items():
        response = await client.get("/me", headers={"X-API-Key": key})
        assert response.status_code == 401
        assert "WWW-Authenticate" in response.headers
        codes[name] = response.json()["error"]["code"]

    assert codes == {
        "revoked": "api_key_revoked",
        "expired": "api_key_expired",
        "wrong": "invalid_api_key",
        "malformed": "invalid_api_key",
    }


async def test_missing_scope_is_403_insufficient_scope(
    client: httpx.AsyncClient, api_key_store: ApiKeyStore[ApiKey], codec: TokenCodec
) -> None:
    created = await api_key_store.create(scopes=["bundles:write"], owner="u")

    response = await client.get("/claims", headers={"X-API-Key": created.plaintext})

    assert response.status_code == 403
    body = response.json()["error"]
    assert body["code"] == "insufficient_scope"
    assert body["details"]["missing_scopes"] == ["claims:read"]
    assert 'scope="claims:read"' in response.headers["WWW-Authenticate"]

    token = codec.issue_access("u1", scopes=["bundles:write"]).token
    assert (await client.get("/claims", headers=bearer(token))).status_code == 403


async def test_superuser_scope_implies_every_scope(
    client: httpx.AsyncClient, api_key_store: ApiKeyStore[ApiKey]
) -> None:
    created = await api_key_store.create(scopes=["admin"], owner="root")
    response = await client.get("/claims", headers={"X-API-Key": created.plaintext})
    assert response.status_code == 200


async def test_role_requirement(client: httpx.AsyncClient, codec: TokenCodec) -> None:
    member = codec.issue_access("u1", role="member").token
    admin = codec.issue_access("u2", role="admin").token

    refused = await client.get("/admin", headers=bearer(member))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Admin access required"
    assert (await client.get("/admin", headers=bearer(admin))).status_code == 200
    assert (await client.get("/admin")).status_code == 401


async def test_each_principal_spends_its_own_rate_budget(
    client: httpx.AsyncClient, codec: TokenCodec
) -> None:
    alice = bearer(codec.issue_access("alice").token)
    bob = bearer(codec.issue_access("bob").token)

    assert [(await client.get("/limited", headers=alice)).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert (await client.get("/limited", headers=bob)).status_code == 200
    assert (await client.get("/limited")).status_code == 200  # anonymous: by client IP


async def test_app_without_authenticator_fails_loudly() -> None:
    app = create_app(title="t", version="0")

    @app.get("/me")
    async def me(principal: Principal = Depends(require())) -> dict[str, str]:
        return {}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with pytest.raises(RuntimeError, match="Authenticator"):
            await client.get("/me")
