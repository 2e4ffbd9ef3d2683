"""Agents and API keys: issue (shown once), scopes, rotation and revocation take effect at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Headers = dict[str, str]
MakeAgent = Callable[..., Awaitable[Any]]


def bearer(key: str) -> Headers:
    return {"Authorization": f"Bearer {key}"}


async def test_requests_without_or_with_a_bad_key_are_401(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/claims")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "UNAUTHENTICATED"
    assert missing.json()["error"]["request_id"] == missing.headers["x-request-id"]
    forged = await client.get("/v1/claims", headers=bearer("phtest_" + "a" * 12 + "_" + "b" * 40))
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_admin_creates_an_agent_whose_key_is_shown_once(
    client: httpx.AsyncClient, admin: Headers
) -> None:
    created = await client.post(
        "/v1/agents",
        json={"name": "Ada", "agent_type": "human", "scopes": ["claims:read"]},
        headers=admin,
    )
    assert created.status_code == 201
    body = created.json()
    key = body["key"]["api_key"]
    assert key.startswith("phtest_")
    me = await client.get("/v1/agents/me", headers=bearer(key))
    assert me.status_code == 200 and me.json()["name"] == "Ada"
    listed = await client.get(f"/v1/agents/{body['agent']['id']}/keys", headers=admin)
    assert listed.status_code == 200
    assert key not in listed.text and "api_key" not in listed.json()[0]
    public = await client.get(f"/v1/agents/{body['agent']['id']}", headers=bearer(key))
    assert set(public.json()) == {
        "id", "name", "agent_type", "external_id", "trust_score", "attrs", "created_at",
    }  # fmt: skip


async def test_creating_agents_needs_admin(client: httpx.AsyncClient, writer: Headers) -> None:
    response = await client.post(
        "/v1/agents", json={"name": "x", "agent_type": "ai"}, headers=writer
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "INSUFFICIENT_SCOPE"


async def test_missing_scope_is_403(client: httpx.AsyncClient, make_agent: MakeAgent) -> None:
    _, reader = await make_agent(["search:read"])
    response = await client.get("/v1/claims", headers=reader)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "INSUFFICIENT_SCOPE"


async def test_unknown_scopes_are_rejected(client: httpx.AsyncClient, admin: Headers) -> None:
    response = await client.post(
        "/v1/agents", json={"name": "x", "agent_type": "ai", "scopes": ["root"]}, headers=admin
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"


async def test_an_agent_cannot_issue_itself_more_scopes(
    client: httpx.AsyncClient, make_agent: MakeAgent
) -> None:
    agent_id, headers = await make_agent(["claims:read"])
    escalate = await client.post(
        f"/v1/agents/{agent_id}/keys", json={"scopes": ["claims:write"]}, headers=headers
    )
    assert escalate.status_code == 403
    same = await client.post(
        f"/v1/agents/{agent_id}/keys", json={"scopes": ["claims:read"]}, headers=headers
    )
    assert same.status_code == 201
    assert (await client.get("/v1/agents/me", headers=bearer(same.json()["api_key"]))).is_success


async def test_rotation_revokes_the_old_key_immediately(
    client: httpx.AsyncClient, make_agent: MakeAgent, admin: Headers
) -> None:
    agent_id, old = await make_agent(["claims:read"])
    keys = (await client.get(f"/v1/agents/{agent_id}/keys", headers=admin)).json()
    rotated = await client.post(f"/v1/keys/{keys[0]['id']}/rotate", headers=old)
    assert rotated.status_code == 200
    new = bearer(rotated.json()["api_key"])
    assert rotated.json()["scopes"] == ["claims:read"]
    assert rotated.json()["rotated_from"] == keys[0]["id"]
    assert (await client.get("/v1/claims", headers=new)).status_code == 200
    refused = await client.get("/v1/claims", headers=old)
    assert refused.status_code == 401
    assert refused.json()["error"]["details"]["reason"] == "api_key_revoked"


async def test_revocation_is_immediate_and_only_for_the_owner_or_admin(
    client: httpx.AsyncClient, make_agent: MakeAgent, admin: Headers
) -> None:
    agent_id, victim = await make_agent(["claims:read"])
    _, other = await make_agent(["claims:read"])
    keys = (await client.get(f"/v1/agents/{agent_id}/keys", headers=admin)).json()
    assert (await client.delete(f"/v1/keys/{keys[0]['id']}", headers=other)).status_code == 403
    assert (await client.get("/v1/claims", headers=victim)).status_code == 200
    assert (await client.delete(f"/v1/keys/{keys[0]['id']}", headers=admin)).status_code == 204
    assert (await client.get("/v1/claims", headers=victim)).status_code == 401
