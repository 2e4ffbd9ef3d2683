"""Versions by name (Semantic Versioning order), latest, aliases that move, resolution, PATCH."""

from __future__ import annotations

from typing import Any

import httpx

Headers = dict[str, str]


async def _ready(
    client: httpx.AsyncClient, headers: Headers, api: Any, model: dict[str, Any], content: bytes
) -> None:
    assert (await api.upload(client, headers, model["id"], content)).status_code == 200
    response = await client.post(f"/api/v1/models/{model['id']}/validate", headers=headers)
    assert response.status_code == 200, response.text


async def test_versions_are_ordered_by_semver(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any
) -> None:
    alice = users["alice"]
    for version in [
        "1.0.0",
        "2.0.0-rc.1",
        "nightly",
        "1.0.0-beta",
        "2.0.0",
        "1.0.0-beta.2",
        "1.10.0",
    ]:
        await api.create_model(mf_client, alice, "team/churn", version)
    response = await mf_client.get("/api/v1/models/by-name/team/churn/versions", headers=alice)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [v["version"] for v in body["versions"]] == [
        "2.0.0", "2.0.0-rc.1", "1.10.0", "1.0.0", "1.0.0-beta.2", "1.0.0-beta", "nightly",
    ]  # fmt: skip
    assert body["latest_version"] == "2.0.0" and body["total"] == 7 and body["owner"] == "alice"
    latest = await mf_client.get("/api/v1/models/by-name/team/churn/latest", headers=alice)
    assert latest.json()["version"] == "2.0.0"
    none_ready = await mf_client.get(
        "/api/v1/models/by-name/team/churn/latest?ready_only=true", headers=alice
    )
    assert none_ready.status_code == 404
    # Bob sees none of Alice's private versions.
    hidden = await mf_client.get("/api/v1/models/by-name/team/churn/versions", headers=users["bob"])
    assert hidden.status_code == 404


async def test_latest_ready_and_resolution(
    mf_client: httpx.AsyncClient,
    users: dict[str, Headers],
    api: Any,
    classifier_onnx: bytes,
    regressor_onnx: bytes,
) -> None:
    alice = users["alice"]
    old = await api.create_model(mf_client, alice, "m", "1.0.0", visibility="public")
    await _ready(mf_client, alice, api, old, classifier_onnx)
    await api.create_model(mf_client, alice, "m", "1.1.0")
    latest_ready = await mf_client.get(
        "/api/v1/models/by-name/m/latest?ready_only=true", headers=alice
    )
    assert latest_ready.json()["id"] == old["id"]
    resolved = await mf_client.get("/api/v1/models/by-name/m/resolve", headers=alice)
    assert resolved.json()["id"] == old["id"]  # no version nor alias: the latest ready
    by_version = await mf_client.get(
        "/api/v1/models/by-name/m/resolve?version=1.1.0", headers=alice
    )
    assert by_version.json()["version"] == "1.1.0"
    missing = await mf_client.get("/api/v1/models/by-name/m/resolve?version=9.9.9", headers=alice)
    assert missing.status_code == 404
    # Bob sees Alice's public version only, by her name, with or without owner=.
    public = await mf_client.get(
        "/api/v1/models/by-name/m/versions?owner=alice", headers=users["bob"]
    )
    assert [v["version"] for v in public.json()["versions"]] == ["1.0.0"]
    implicit = await mf_client.get("/api/v1/models/by-name/m/resolve", headers=users["bob"])
    assert implicit.json()["id"] == old["id"]


async def test_aliases_move_between_versions(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any
) -> None:
    alice = users["alice"]
    v1 = await api.create_model(mf_client, alice, "ranker", "1.0.0")
    v2 = await api.create_model(mf_client, alice, "ranker", "2.0.0")
    url = "/api/v1/models/by-name/ranker/aliases/production"
    first = await mf_client.put(url, json={"version": "1.0.0"}, headers=alice)
    assert first.status_code == 200 and first.json()["model_id"] == v1["id"]
    resolve = "/api/v1/models/by-name/ranker/resolve?alias=production"
    assert (await mf_client.get(resolve, headers=alice)).json()["id"] == v1["id"]

    moved = await mf_client.put(url, json={"version": "2.0.0"}, headers=alice)
    assert moved.json()["model_id"] == v2["id"]
    assert (await mf_client.get(resolve, headers=alice)).json()["id"] == v2["id"]
    await mf_client.put(
        "/api/v1/models/by-name/ranker/aliases/staging", json={"version": "1.0.0"}, headers=alice
    )
    listed = (await mf_client.get("/api/v1/models/by-name/ranker/aliases", headers=alice)).json()
    assert [(a["alias"], a["version"]) for a in listed] == [
        ("production", "2.0.0"),
        ("staging", "1.0.0"),
    ]

    unknown = await mf_client.put(url, json={"version": "3.0.0"}, headers=alice)
    assert unknown.status_code == 404
    bad_name = await mf_client.put(
        "/api/v1/models/by-name/ranker/aliases/-x", json={"version": "1.0.0"}, headers=alice
    )
    assert bad_name.status_code == 422
    # Bob cannot point Alice's aliases anywhere: in his namespace the model does not exist.
    assert (
        await mf_client.put(url, json={"version": "1.0.0"}, headers=users["bob"])
    ).status_code == 404

    assert (await mf_client.delete(url, headers=alice)).status_code == 204
    assert (await mf_client.get(resolve, headers=alice)).status_code == 404
    # Deleting a version drops the aliases pointing at it.
    await mf_client.delete(f"/api/v1/models/{v1['id']}", headers=alice)
    assert (
        await mf_client.get("/api/v1/models/by-name/ranker/aliases", headers=alice)
    ).json() == []


async def test_patch_status_machine_and_collisions(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any, classifier_onnx: bytes
) -> None:
    alice = users["alice"]
    model = await api.create_model(mf_client, alice, "sm", "1.0.0")
    await api.create_model(mf_client, alice, "sm", "2.0.0")
    url = f"/api/v1/models/{model['id']}"
    # Clients never set "ready" themselves (upstream let anyone skip validation).
    assert (await mf_client.patch(url, json={"status": "ready"}, headers=alice)).status_code == 409
    assert (
        await mf_client.patch(url, json={"status": "archived"}, headers=alice)
    ).status_code == 409
    await _ready(mf_client, alice, api, model, classifier_onnx)
    archived = await mf_client.patch(url, json={"status": "archived"}, headers=alice)
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    restored = await mf_client.patch(url, json={"status": "ready"}, headers=alice)
    assert restored.json()["status"] == "ready"

    clash = await mf_client.patch(url, json={"version": "2.0.0"}, headers=alice)
    assert clash.status_code == 409  # upstream: an unhandled 500
    renamed = await mf_client.patch(
        url, json={"name": "sm2", "visibility": "public", "description": None}, headers=alice
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "sm2" and renamed.json()["visibility"] == "public"
    assert (await mf_client.patch(url, json={"file_hash": "x"}, headers=alice)).status_code == 422
