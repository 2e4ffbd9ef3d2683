"""The extension registry: a key per extension with scopes from its capabilities, discovery,
rotation and deregistration revoking at once, capability limits on bundles."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

Headers = dict[str, str]


def _manifest(**extra: Any) -> dict[str, Any]:
    return {
        "extension_id": f"ext-notes-{uuid.uuid4().hex[:6]}-v1",
        "name": "Markdown notes",
        "version": "1.0.0",
        "type": "input",
        "capabilities": {"can_write": True, "can_read": True, "claim_types": ["assertion"]},
        **extra,
    }


def bearer(key: str) -> Headers:
    return {"Authorization": f"Bearer {key}"}


async def test_register_discover_rotate_deregister(
    client: httpx.AsyncClient, admin: Headers
) -> None:
    manifest = _manifest(webhook_url="https://hooks.example/phiacta")
    ext = manifest["extension_id"]
    registered = await client.post("/v1/extensions/register", json=manifest, headers=admin)
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["scopes"] == ["bundles:write", "claims:read", "search:read", "webhooks:manage"]
    key = bearer(body["api_key"])
    me = (await client.get("/v1/agents/me", headers=key)).json()
    assert (me["agent_type"], me["external_id"]) == ("extension", ext)

    again = await client.post("/v1/extensions/register", json=manifest, headers=admin)
    assert again.status_code == 409

    listed = (await client.get("/v1/extensions", params={"type": "input"}, headers=admin)).json()
    assert ext in {e["extension_id"] for e in listed["extensions"]}
    patched = await client.patch(f"/v1/extensions/{ext}", json={"version": "1.1.0"}, headers=admin)
    assert patched.json()["version"] == "1.1.0"

    rotated = await client.post(f"/v1/extensions/{ext}/rotate-key", headers=key)
    assert rotated.status_code == 200
    assert (await client.get("/v1/claims", headers=key)).status_code == 401
    new_key = bearer(rotated.json()["api_key"])
    assert (await client.get("/v1/claims", headers=new_key)).status_code == 200

    health = (await client.get(f"/v1/extensions/{ext}/health", headers=admin)).json()
    assert health["status"] == "active" and health["consecutive_failures"] == 0

    assert (await client.delete(f"/v1/extensions/{ext}", headers=admin)).status_code == 204
    assert (await client.get("/v1/claims", headers=new_key)).status_code == 401
    active = (await client.get("/v1/extensions", headers=admin)).json()
    assert ext not in {e["extension_id"] for e in active["extensions"]}
    missing = await client.get("/v1/extensions/ext-none-v1", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "EXTENSION_NOT_FOUND"


async def test_manifests_are_validated(client: httpx.AsyncClient, admin: Headers) -> None:
    bad = _manifest(
        api_version_required="v2",
        capabilities={"can_write": False, "claim_types": ["assertion"], "edge_types": ["explains"]},
    )
    response = await client.post("/v1/extensions/register", json=bad, headers=admin)
    assert response.status_code == 422
    codes = {d["code"] for d in response.json()["error"]["details"]}
    assert codes == {"UNSUPPORTED", "INCONSISTENT", "EDGE_TYPE_UNKNOWN"}


async def test_registration_needs_extensions_write(
    client: httpx.AsyncClient, writer: Headers
) -> None:
    response = await client.post("/v1/extensions/register", json=_manifest(), headers=writer)
    assert response.status_code == 403


async def test_an_extension_submits_only_its_declared_claim_types(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str
) -> None:
    body = (await client.post("/v1/extensions/register", json=_manifest(), headers=admin)).json()
    key = bearer(body["api_key"])
    bundle = {
        "idempotency_key": "k1",
        "namespace": fresh_ns,
        "claims": [
            {"temp_id": "a", "content": "fine", "claim_type": "assertion"},
            {"temp_id": "b", "content": "not allowed", "claim_type": "theorem"},
        ],
    }
    denied = await client.post("/v1/bundles", json=bundle, headers=key)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "CAPABILITY_DENIED"
    assert denied.json()["error"]["details"][0]["field"] == "claims[1].claim_type"
    bundle["claims"] = bundle["claims"][:1]
    assert (await client.post("/v1/bundles", json=bundle, headers=key)).status_code == 201
