"""The hot path's per-process caches: credentials and models resolved by id.

Within this process a revocation or a model change takes effect at once (the caches are evicted
by the change itself); a change made elsewhere (another worker process, simulated here by
writing through the kit's stores or the database directly) takes effect within the TTL.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from modelforge.config import Settings
from modelforge.models import MLModel, Visibility
from modelforge.runtime import ModelForge
from servicekit.auth import TokenType

Headers = dict[str, str]
TTL = 0.4
MODELS = "/api/v1/models"


@pytest.fixture
def mf_settings(mf_settings: Settings) -> Settings:
    return mf_settings.model_copy(update={"hot_cache_ttl": TTL})


async def _register(client: httpx.AsyncClient, login: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/register", json={"login": login, "password": f"{login}-password-123"}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_logout_here_refuses_the_access_token_at_once(
    mf_client: httpx.AsyncClient, users: dict[str, Headers]
) -> None:
    pair = await _register(mf_client, "carol")
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 200  # now cached
    out = await mf_client.post("/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 401


async def test_refresh_token_reuse_refuses_the_session_at_once(
    mf_client: httpx.AsyncClient, users: dict[str, Headers]
) -> None:
    pair = await _register(mf_client, "erin")
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 200
    body = {"refresh_token": pair["refresh_token"]}
    assert (await mf_client.post("/api/v1/auth/refresh", json=body)).status_code == 200
    assert (await mf_client.post("/api/v1/auth/refresh", json=body)).status_code == 401  # reuse
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 401


async def test_a_session_revoked_elsewhere_is_refused_within_the_ttl(
    mf_client: httpx.AsyncClient, forge: ModelForge, users: dict[str, Headers]
) -> None:
    pair = await _register(mf_client, "frank")
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 200
    session_id = forge.identity.codec.decode(pair["access_token"], TokenType.access).session_id
    assert session_id is not None
    # The kit's store directly: what another worker's logout does to this process's view.
    await forge.identity.sessions.revoke_session(uuid.UUID(session_id))
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 200  # the bound
    await asyncio.sleep(TTL + 0.1)
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 401


async def test_api_token_revocation_here_at_once_elsewhere_within_the_ttl(
    mf_client: httpx.AsyncClient, forge: ModelForge, users: dict[str, Headers]
) -> None:
    async def new_token() -> tuple[uuid.UUID, Headers]:
        created = await mf_client.post(
            "/api/v1/tokens", json={"name": "ci", "scopes": ["read"]}, headers=users["alice"]
        )
        assert created.status_code == 201, created.text
        body = created.json()
        return uuid.UUID(body["id"]), {"Authorization": f"Bearer {body['token']}"}

    token_id, headers = await new_token()
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 200
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 200  # from the cache
    deleted = await mf_client.delete(f"/api/v1/tokens/{token_id}", headers=users["alice"])
    assert deleted.status_code == 204
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 401

    token_id, headers = await new_token()
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 200
    assert await forge.identity.api_tokens.revoke(token_id)  # as another process would
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 200  # the bound
    await asyncio.sleep(TTL + 0.1)
    assert (await mf_client.get(MODELS, headers=headers)).status_code == 401


async def test_cached_models_keep_visibility_and_follow_changes_at_once(
    mf_client: httpx.AsyncClient, models: Any, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], regressor_onnx, visibility="public")
    row = {"X": [[1, 2, 3, 4]]}
    assert (await models.predict(users["bob"], model["id"], row)).status_code == 201  # cached

    patched = await mf_client.patch(
        f"{MODELS}/{model['id']}", json={"visibility": "private"}, headers=users["alice"]
    )
    assert patched.status_code == 200, patched.text
    assert (await models.predict(users["bob"], model["id"], row)).status_code == 404
    assert (await models.predict(users["alice"], model["id"], row)).status_code == 201
    # The record is now cached by the owner's request: still private to everyone else.
    assert (await models.predict(users["bob"], model["id"], row)).status_code == 404
    assert (await models.predict(users["admin"], model["id"], row)).status_code == 201

    deleted = await mf_client.delete(f"{MODELS}/{model['id']}", headers=users["alice"])
    assert deleted.status_code == 204
    assert (await models.predict(users["alice"], model["id"], row)).status_code == 404


async def test_a_model_changed_elsewhere_is_followed_within_the_ttl(
    models: Any, forge: ModelForge, users: dict[str, Headers], regressor_onnx: bytes
) -> None:
    model = await models.ready(users["alice"], regressor_onnx, visibility="public")
    row = {"X": [[1, 2, 3, 4]]}
    assert (await models.predict(users["bob"], model["id"], row)).status_code == 201
    async with forge.db.session() as session:  # another process's change: no hook here
        await session.execute(
            update(MLModel)
            .where(MLModel.id == uuid.UUID(str(model["id"])))
            .values(visibility=Visibility.private)
        )
    await asyncio.sleep(TTL + 0.1)
    assert (await models.predict(users["bob"], model["id"], row)).status_code == 404
