"""The registry over HTTP: records, the auth matrix, uploads, validation, versions, aliases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

Headers = dict[str, str]


async def test_create_list_get_and_duplicates(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any
) -> None:
    alice = users["alice"]
    created = await api.create_model(mf_client, alice, "churn", "1.0.0", description="first")
    assert created["status"] == "pending"
    assert created["visibility"] == "private"

    again = await mf_client.post(
        "/api/v1/models", json={"name": "churn", "version": "1.0.0"}, headers=alice
    )
    assert again.status_code == 409
    # Another owner may use the same name and version.
    await api.create_model(mf_client, users["bob"], "churn", "1.0.0")

    await api.create_model(mf_client, alice, "churn", "1.1.0")
    page = (await mf_client.get("/api/v1/models?page_size=1", headers=alice)).json()
    assert page["total"] == 2 and page["total_pages"] == 2
    assert page["items"][0]["version"] == "1.1.0"  # newest first

    fetched = await mf_client.get(f"/api/v1/models/{created['id']}", headers=alice)
    assert fetched.status_code == 200 and fetched.json()["description"] == "first"


async def test_auth_matrix_on_a_private_model(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any, classifier_onnx: bytes
) -> None:
    model = await api.create_model(mf_client, users["alice"], "secret-model")
    url = f"/api/v1/models/{model['id']}"

    assert (await mf_client.get(url, headers=users["alice"])).status_code == 200
    assert (await mf_client.get(url, headers=users["admin"])).status_code == 200
    # Another user learns nothing, not even that it exists.
    assert (await mf_client.get(url, headers=users["bob"])).status_code == 404
    assert (await mf_client.get(url, headers=users["anonymous"])).status_code == 401
    listed = (await mf_client.get("/api/v1/models", headers=users["bob"])).json()
    assert listed["total"] == 0
    await api.create_model(mf_client, users["bob"], "bobs-model")
    admin_list = (await mf_client.get("/api/v1/models", headers=users["admin"])).json()
    assert admin_list["total"] == 2 and len(admin_list["items"]) == 2

    patch = {"description": "mine"}
    assert (await mf_client.patch(url, json=patch, headers=users["bob"])).status_code == 404
    assert (await mf_client.patch(url, json=patch, headers=users["anonymous"])).status_code == 401
    bob_upload = await api.upload(mf_client, users["bob"], model["id"], classifier_onnx)
    assert bob_upload.status_code == 404
    anonymous_upload = await api.upload(mf_client, {}, model["id"], classifier_onnx)
    assert anonymous_upload.status_code == 401
    admin_upload = await api.upload(mf_client, users["admin"], model["id"], classifier_onnx)
    assert admin_upload.status_code == 200
    assert (await mf_client.delete(url, headers=users["bob"])).status_code == 404
    assert (await mf_client.delete(url, headers=users["anonymous"])).status_code == 401

    assert (await mf_client.patch(url, json=patch, headers=users["admin"])).status_code == 200
    assert (await mf_client.delete(url, headers=users["alice"])).status_code == 204
    assert (await mf_client.get(url, headers=users["alice"])).status_code == 404


async def test_public_models_are_readable_but_not_writable_by_others(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any
) -> None:
    model = await api.create_model(mf_client, users["alice"], "shared", visibility="public")
    url = f"/api/v1/models/{model['id']}"
    assert (await mf_client.get(url, headers=users["bob"])).status_code == 200
    listed = await mf_client.get("/api/v1/models?visibility=public", headers=users["bob"])
    assert [item["name"] for item in listed.json()["items"]] == ["shared"]
    assert (await mf_client.patch(url, json={"name": "x"}, headers=users["bob"])).status_code == 403
    assert (await mf_client.delete(url, headers=users["bob"])).status_code == 403


async def test_list_filters(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], api: Any
) -> None:
    await api.create_model(mf_client, users["alice"], "a")
    await api.create_model(mf_client, users["alice"], "b")
    await api.create_model(mf_client, users["bob"], "c", visibility="public")
    alice = users["alice"]
    by_name = (await mf_client.get("/api/v1/models?name=b", headers=alice)).json()
    assert [item["name"] for item in by_name["items"]] == ["b"]
    by_owner = (await mf_client.get("/api/v1/models?owner=bob", headers=alice)).json()
    assert [item["name"] for item in by_owner["items"]] == ["c"]
    pending = (await mf_client.get("/api/v1/models?status=pending", headers=alice)).json()
    assert pending["total"] == 3
    ready = (await mf_client.get("/api/v1/models?status=ready", headers=alice)).json()
    assert ready["total"] == 0
    assert (await mf_client.get("/api/v1/models?page_size=101", headers=alice)).status_code == 422


@pytest.mark.parametrize("name", ["/lead", "trail/", "a//b", " padded", "tab\there", ""])
async def test_unreachable_names_are_refused(
    mf_client: httpx.AsyncClient, users: dict[str, Headers], name: str
) -> None:
    response = await mf_client.post("/api/v1/models", json={"name": name}, headers=users["alice"])
    assert response.status_code == 422
