"""Workspaces, teammates, assistants, instructions and knowledge bases: CRUD, pagination,
filters, conflicts and validation."""

from __future__ import annotations

from typing import Any

import httpx

V1 = "/api/v1"


async def test_workspace_crud_pagination_and_filter(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    h = tenant.owner
    ids = [
        (await api.post(f"{V1}/workspaces", h, name=f"space {n}", description="d"))["id"]
        for n in range(5)
    ]
    page = (await client.get(f"{V1}/workspaces?limit=2&offset=1", headers=h)).json()
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    assert [w["id"] for w in page["items"]] == ids[1:3]
    only = (await client.get(f"{V1}/workspaces?name=ACE 3", headers=h)).json()
    assert [w["name"] for w in only["items"]] == ["space 3"]
    assert (await client.get(f"{V1}/workspaces?limit=101", headers=h)).status_code == 422

    duplicate = await client.post(f"{V1}/workspaces", json={"name": "space 1"}, headers=h)
    assert duplicate.status_code == 409
    rename_clash = await client.patch(
        f"{V1}/workspaces/{ids[0]}", json={"name": "space 1"}, headers=h
    )
    assert rename_clash.status_code == 409
    renamed = await client.patch(f"{V1}/workspaces/{ids[0]}", json={"name": "lobby"}, headers=h)
    assert renamed.status_code == 200 and renamed.json()["name"] == "lobby"
    assert (await client.post(f"{V1}/workspaces", json={"name": " "}, headers=h)).status_code == 422
    assert (await client.delete(f"{V1}/workspaces/{ids[0]}", headers=h)).status_code == 204
    assert (await client.get(f"{V1}/workspaces/{ids[0]}", headers=h)).status_code == 404


async def test_guides_tenant_scoped_workspace_path(client: httpx.AsyncClient, api: Any) -> None:
    tenant, other = await api.tenant(), await api.tenant()
    ok = await client.post(
        f"{V1}/tenants/{tenant.id}/workspaces", json={"name": "via path"}, headers=tenant.owner
    )
    assert ok.status_code == 201 and ok.json()["tenant_id"] == tenant.id
    elsewhere = await client.post(
        f"{V1}/tenants/{other.id}/workspaces", json={"name": "x"}, headers=tenant.owner
    )
    assert elsewhere.status_code == 404


async def test_teammates_assistants_instructions(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    h = tenant.owner
    tree = await api.tree(tenant)
    teammates = (await client.get(f"{V1}/workspaces/{tree.workspace}/teammates", headers=h)).json()
    assert teammates["total"] == 1
    assert teammates["items"][0]["orchestration_config"]["strategy"] == "weighted"
    dup = await client.post(
        f"{V1}/teammates/{tree.teammate}/assistants", json={"name": "Librarian"}, headers=h
    )
    assert dup.status_code == 409

    assistant = (await client.get(f"{V1}/assistants/{tree.assistant}", headers=h)).json()
    assert assistant["knowledge_base_ids"] == [tree.kb]
    first = await client.put(
        f"{V1}/assistants/{tree.assistant}/instruction",
        json={"system_prompt": "Answer like a pirate."},
        headers=h,
    )
    assert first.status_code == 201
    again = await client.put(
        f"{V1}/assistants/{tree.assistant}/instruction",
        json={"system_prompt": "Answer briefly."},
        headers=h,
    )
    assert again.status_code == 200 and again.json()["system_prompt"] == "Answer briefly."
    got = (await client.get(f"{V1}/assistants/{tree.assistant}/instruction", headers=h)).json()
    assert got["system_prompt"] == "Answer briefly."

    bad_model = await client.patch(
        f"{V1}/assistants/{tree.assistant}", json={"model": "no-provider"}, headers=h
    )
    assert bad_model.status_code == 422
    model = await client.patch(
        f"{V1}/assistants/{tree.assistant}", json={"model": "ollama/qwen2.5:7b"}, headers=h
    )
    assert model.status_code == 200 and model.json()["model"] == "ollama/qwen2.5:7b"


async def test_orchestration_config_is_validated(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    h = tenant.owner
    tree = await api.tree(tenant)
    for config in (
        {"strategy": "round_robin"},
        {"strategy": "weighted", "max_assistants": 0},
        {"strategy": "weighted", "weights": {tree.assistant: -1}},
        {"strategy": "weighted", "surprise": True},
    ):
        response = await client.patch(
            f"{V1}/teammates/{tree.teammate}", json={"orchestration_config": config}, headers=h
        )
        assert response.status_code == 422, config
    stranger = "00000000-0000-4000-8000-000000000000"
    response = await client.patch(
        f"{V1}/teammates/{tree.teammate}",
        json={"orchestration_config": {"strategy": "sequential", "assistant_ids": [stranger]}},
        headers=h,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["unknown_assistant_ids"] == [stranger]
    ok = await client.patch(
        f"{V1}/teammates/{tree.teammate}",
        json={"orchestration_config": {"strategy": "parallel", "assistant_ids": [tree.assistant]}},
        headers=h,
    )
    assert ok.status_code == 200
    assert ok.json()["orchestration_config"]["strategy"] == "parallel"


async def test_knowledge_bases_are_shared_within_a_workspace(
    client: httpx.AsyncClient, api: Any
) -> None:
    tenant = await api.tenant()
    h = tenant.owner
    tree = await api.tree(tenant)
    second = await api.post(
        f"{V1}/teammates/{tree.teammate}/assistants", h, name="Second", knowledge_base_ids=[tree.kb]
    )
    assert second["knowledge_base_ids"] == [tree.kb]  # one knowledge base, two assistants
    kbs = (
        await client.get(f"{V1}/knowledge-bases?workspace_id={tree.workspace}", headers=h)
    ).json()
    assert kbs["total"] == 1 and kbs["items"][0]["embedding_model"] == "all-MiniLM-L6-v2"
    assert kbs["items"][0]["embedding_dimension"] == 384
    dup = await client.post(
        f"{V1}/workspaces/{tree.workspace}/knowledge-bases", json={"name": "Docs"}, headers=h
    )
    assert dup.status_code == 409

    other_ws = await api.post(f"{V1}/workspaces", h, name="Elsewhere")
    foreign_kb = await api.post(f"{V1}/workspaces/{other_ws['id']}/knowledge-bases", h, name="F")
    cross = await client.put(
        f"{V1}/assistants/{second['id']}/knowledge-bases/{foreign_kb['id']}", headers=h
    )
    assert cross.status_code == 422
    detach = await client.delete(
        f"{V1}/assistants/{second['id']}/knowledge-bases/{tree.kb}", headers=h
    )
    assert detach.status_code == 204
    attach = await client.put(
        f"{V1}/assistants/{second['id']}/knowledge-bases/{tree.kb}", headers=h
    )
    assert attach.status_code == 204
    assert (await client.delete(f"{V1}/knowledge-bases/{tree.kb}", headers=h)).status_code == 204
    after = (await client.get(f"{V1}/assistants/{second['id']}", headers=h)).json()
    assert after["knowledge_base_ids"] == []
