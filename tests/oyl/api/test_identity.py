"""Platform admin, tenants, login and sessions, members and roles, API keys."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

V1 = "/api/v1"


async def test_only_platform_admins_create_tenants(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    body = {"name": "sneaky", "owner_email": "x@oyl.test", "owner_password": "long-password"}
    assert (await client.post(f"{V1}/tenants", json=body)).status_code == 401
    response = await client.post(f"{V1}/tenants", json=body, headers=tenant.owner)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "platform_admin_required"


async def test_tenant_names_are_unique_and_validated(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    admin = await api.admin()
    again = {"name": tenant.name, "owner_email": "other@oyl.test", "owner_password": "password1"}
    response = await client.post(f"{V1}/tenants", json=again, headers=admin)
    assert response.status_code == 409
    blank = {**again, "name": "   "}
    assert (await client.post(f"{V1}/tenants", json=blank, headers=admin)).status_code == 422
    no_password = {"name": "fresh-tenant-x", "owner_email": "nobody-yet@oyl.test"}
    response = await client.post(f"{V1}/tenants", json=no_password, headers=admin)
    assert response.status_code == 422  # a new owner needs a password


async def test_tenant_listing_is_scoped(client: httpx.AsyncClient, api: Any) -> None:
    first, second = await api.tenant(), await api.tenant()
    mine = (await client.get(f"{V1}/tenants", headers=first.owner)).json()
    assert [t["id"] for t in mine["items"]] == [first.id]
    assert mine["total"] == 1 and mine["limit"] == 20 and mine["offset"] == 0
    everything = (await client.get(f"{V1}/tenants?limit=100", headers=await api.admin())).json()
    ids = {t["id"] for t in everything["items"]}
    assert {first.id, second.id} <= ids or everything["total"] > 100
    other = await client.get(f"{V1}/tenants/{second.id}", headers=first.owner)
    assert other.status_code == 404


async def test_owner_renames_admin_sets_quotas(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    renamed = await client.patch(
        f"{V1}/tenants/{tenant.id}", json={"name": tenant.name + "-x"}, headers=tenant.owner
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == tenant.name + "-x"
    quotas = {"quotas": {"max_documents": 3}}
    refused = await client.patch(f"{V1}/tenants/{tenant.id}", json=quotas, headers=tenant.owner)
    assert refused.status_code == 403
    done = await client.patch(f"{V1}/tenants/{tenant.id}", json=quotas, headers=await api.admin())
    assert done.status_code == 200 and done.json()["max_documents"] == 3


async def test_login_refresh_logout(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    email = f"owner-{tenant.name}@oyl.test"
    bad = await client.post(f"{V1}/auth/login", json={"email": email, "password": "wrong"})
    assert bad.status_code == 401
    tokens = (
        await client.post(f"{V1}/auth/login", json={"email": email, "password": "owner-password"})
    ).json()
    assert tokens["tenant_id"] == tenant.id and tokens["role"] == "owner"
    assert tokens["expires_in"] == 3600
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = (await client.get(f"{V1}/auth/me", headers=headers)).json()
    assert me["email"] == email and me["role"] == "owner"

    rotated = await client.post(
        f"{V1}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert rotated.status_code == 200
    reused = await client.post(
        f"{V1}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert reused.status_code == 401  # single use: the session is revoked

    fresh = (
        await client.post(f"{V1}/auth/login", json={"email": email, "password": "owner-password"})
    ).json()
    fresh_headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert (await client.post(f"{V1}/auth/logout", headers=fresh_headers)).status_code == 204
    assert (await client.get(f"{V1}/workspaces", headers=fresh_headers)).status_code == 401


async def test_a_person_in_two_tenants_chooses_one(client: httpx.AsyncClient, api: Any) -> None:
    first, second = await api.tenant(), await api.tenant()
    email = f"shared-{first.name}@oyl.test"
    for tenant in (first, second):
        added = await client.post(
            f"{V1}/members",
            json={"email": email, "role": "viewer", "password": "shared-password"},
            headers=tenant.owner,
        )
        assert added.status_code == 201, added.text
    ambiguous = await client.post(
        f"{V1}/auth/login", json={"email": email, "password": "shared-password"}
    )
    assert ambiguous.status_code == 422
    assert {d["tenant_id"] for d in ambiguous.json()["error"]["details"]} == {first.id, second.id}
    chosen = await api.login(email, "shared-password", second.id)
    me = (await client.get(f"{V1}/auth/me", headers=chosen)).json()
    assert me["tenant_id"] == second.id and len(me["memberships"]) == 2


async def test_members_and_roles(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    admin = await api.member(tenant, "admin")
    editor = await api.member(tenant, "editor")
    listed = (await client.get(f"{V1}/members", headers=admin)).json()
    assert {m["role"] for m in listed["items"]} == {"owner", "admin", "editor"}
    # An admin cannot make an owner, nor touch the owner.
    response = await client.post(
        f"{V1}/members",
        json={"email": "would-be-owner@oyl.test", "role": "owner", "password": "password-123"},
        headers=admin,
    )
    assert response.status_code == 403
    owner_id = next(m["user_id"] for m in listed["items"] if m["role"] == "owner")
    assert (await client.delete(f"{V1}/members/{owner_id}", headers=admin)).status_code == 403
    # The last owner stays.
    response = await client.patch(
        f"{V1}/members/{owner_id}", json={"role": "viewer"}, headers=tenant.owner
    )
    assert response.status_code == 409
    # Adding someone twice is a conflict.
    editor_email = next(m["email"] for m in listed["items"] if m["role"] == "editor")
    again = await client.post(
        f"{V1}/members", json={"email": editor_email, "role": "viewer"}, headers=tenant.owner
    )
    assert again.status_code == 409
    # A demotion applies at once, even to a token issued before it.
    editor_id = next(m["user_id"] for m in listed["items"] if m["role"] == "editor")
    assert (
        await client.post(f"{V1}/workspaces", json={"name": "w1"}, headers=editor)
    ).status_code == 201
    demoted = await client.patch(
        f"{V1}/members/{editor_id}", json={"role": "viewer"}, headers=admin
    )
    assert demoted.status_code == 200 and demoted.json()["role"] == "viewer"
    assert (
        await client.post(f"{V1}/workspaces", json={"name": "w2"}, headers=editor)
    ).status_code == 403
    assert (await client.delete(f"{V1}/members/{editor_id}", headers=admin)).status_code == 204
    assert (await client.get(f"{V1}/workspaces", headers=editor)).status_code == 403


async def test_api_keys_shown_once_scoped_revocable(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    created = await client.post(
        f"{V1}/api-keys", json={"name": "ci", "role": "editor"}, headers=tenant.owner
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("oyl_")
    listed = (await client.get(f"{V1}/api-keys", headers=tenant.owner)).json()
    assert listed["total"] == 1 and "key" not in listed["items"][0]
    with_key = {"X-API-Key": key}
    assert (
        await client.post(f"{V1}/workspaces", json={"name": "k"}, headers=with_key)
    ).status_code == 201
    # The key acts as an editor: it may not manage members or keys.
    assert (await client.get(f"{V1}/members", headers=with_key)).status_code == 403
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await client.get(f"{V1}/workspaces", headers=bearer)).status_code == 200
    key_id = created.json()["id"]
    assert (await client.delete(f"{V1}/api-keys/{key_id}", headers=tenant.owner)).status_code == 204
    assert (await client.get(f"{V1}/workspaces", headers=with_key)).status_code == 401
    viewer = await api.member(tenant, "viewer")
    assert (
        await client.post(f"{V1}/api-keys", json={"name": "v"}, headers=viewer)
    ).status_code == 403


ROLE_MATRIX = [
    # role: read, ask a teammate (409: it has no assistant, so the role was accepted), edit, manage
    ("viewer", 200, 403, 403, 403),
    ("member", 200, 409, 403, 403),
    ("editor", 200, 409, 201, 403),
    ("admin", 200, 409, 201, 200),
    ("owner", 200, 409, 201, 200),
]


@pytest.mark.parametrize(("role", "read", "ask", "edit", "manage"), ROLE_MATRIX)
async def test_role_matrix(
    client: httpx.AsyncClient, api: Any, role: str, read: int, ask: int, edit: int, manage: int
) -> None:
    tenant = await api.tenant()
    workspace = await api.post(f"{V1}/workspaces", tenant.owner, name="Team")
    teammate = await api.post(
        f"{V1}/workspaces/{workspace['id']}/teammates", tenant.owner, name="T"
    )
    headers = tenant.owner if role == "owner" else await api.member(tenant, role)
    assert (await client.get(f"{V1}/workspaces", headers=headers)).status_code == read
    asked = await client.post(
        f"{V1}/teammates/{teammate['id']}/query", json={"query": "hello?"}, headers=headers
    )
    assert asked.status_code == ask
    created = await client.post(f"{V1}/workspaces", json={"name": "mine"}, headers=headers)
    assert created.status_code == edit
    assert (await client.get(f"{V1}/members", headers=headers)).status_code == manage
    assert (await client.get(f"{V1}/api-keys", headers=headers)).status_code == manage
    assert (await client.get(f"{V1}/usage", headers=headers)).status_code == manage
    # Deleting the tenant is the owner's alone.
    deleted = await client.delete(f"{V1}/tenants/{tenant.id}", headers=headers)
    assert deleted.status_code == (204 if role == "owner" else 403)


async def test_platform_token_is_not_a_tenant_token(client: httpx.AsyncClient, api: Any) -> None:
    response = await client.get(f"{V1}/workspaces", headers=await api.admin())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "tenant_required"
