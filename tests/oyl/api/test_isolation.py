"""Tenant isolation: every endpoint, tried by another tenant (owner token and API key) with the
first tenant's ids, answers 404 as for ids that never existed, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from servicekit.testing.jobs import WorkerProcess

V1 = "/api/v1"
SECRET = "The launch code of project Falcon is 7741 and lives in vault B."


@pytest.fixture(scope="module")
async def victim(api: Any, client: httpx.AsyncClient, worker: WorkerProcess) -> dict[str, Any]:
    tenant = await api.tenant("victim")
    tree = await api.tree(tenant, instruction="Secret instruction")
    document = await api.ingested(tenant.owner, tree.kb, "falcon.txt", SECRET.encode())
    assert document["status"] == "ready"
    chunk = (
        await client.get(f"{V1}/documents/{document['id']}/chunks", headers=tenant.owner)
    ).json()["items"][0]
    answer = (
        await client.post(
            f"{V1}/teammates/{tree.teammate}/query",
            json={"query": "What is the launch code of project Falcon?"},
            headers=tenant.owner,
        )
    ).json()
    assert answer["found"], answer
    key = (
        await client.post(
            f"{V1}/api-keys", json={"name": "k", "role": "admin"}, headers=tenant.owner
        )
    ).json()
    members = (await client.get(f"{V1}/members", headers=tenant.owner)).json()["items"]
    return {
        "tenant": tenant,
        "tree": tree,
        "document": document,
        "chunk": chunk["id"],
        "conversation": answer["conversation_id"],
        "message": answer["message_id"],
        "key": key["id"],
        "user": members[0]["user_id"],
    }


@pytest.fixture(scope="module")
async def intruders(api: Any, client: httpx.AsyncClient, worker: WorkerProcess) -> dict[str, Any]:
    tenant = await api.tenant("intruder")
    tree = await api.tree(tenant)
    await api.ingested(tenant.owner, tree.kb, "own.txt", b"Our own notes about project Falcon.")
    key = (
        await client.post(
            f"{V1}/api-keys", json={"name": "k", "role": "owner"}, headers=tenant.owner
        )
    ).json()["key"]
    return {"tree": tree, "as": {"owner token": tenant.owner, "api key": {"X-API-Key": key}}}


def attempts(v: dict[str, Any], own: Any) -> list[tuple[str, str, dict[str, Any] | None]]:
    t, tree, doc = v["tenant"], v["tree"], v["document"]["id"]
    query = {"query": "What is the launch code of project Falcon?"}
    return [
        ("GET", f"/tenants/{t.id}", None),
        ("PATCH", f"/tenants/{t.id}", {"name": "pwned"}),
        ("DELETE", f"/tenants/{t.id}", None),
        ("POST", f"/tenants/{t.id}/workspaces", {"name": "x"}),
        ("GET", f"/workspaces/{tree.workspace}", None),
        ("PATCH", f"/workspaces/{tree.workspace}", {"name": "pwned"}),
        ("DELETE", f"/workspaces/{tree.workspace}", None),
        ("POST", f"/workspaces/{tree.workspace}/teammates", {"name": "x"}),
        ("GET", f"/workspaces/{tree.workspace}/teammates", None),
        ("GET", f"/teammates?workspace_id={tree.workspace}", None),
        ("POST", f"/workspaces/{tree.workspace}/knowledge-bases", {"name": "x"}),
        ("GET", f"/knowledge-bases?workspace_id={tree.workspace}", None),
        ("GET", f"/teammates/{tree.teammate}", None),
        ("PATCH", f"/teammates/{tree.teammate}", {"name": "pwned"}),
        ("DELETE", f"/teammates/{tree.teammate}", None),
        ("POST", f"/teammates/{tree.teammate}/assistants", {"name": "x"}),
        ("GET", f"/teammates/{tree.teammate}/assistants", None),
        ("POST", f"/teammates/{tree.teammate}/query", query),
        ("POST", f"/teammates/{tree.teammate}/query", {**query, "stream": True}),
        (
            "POST",
            f"/teammates/{own.teammate}/query",
            {**query, "conversation_id": v["conversation"]},
        ),
        ("GET", f"/assistants/{tree.assistant}", None),
        ("PATCH", f"/assistants/{tree.assistant}", {"name": "pwned"}),
        ("DELETE", f"/assistants/{tree.assistant}", None),
        ("PUT", f"/assistants/{tree.assistant}/instruction", {"system_prompt": "pwned"}),
        ("GET", f"/assistants/{tree.assistant}/instruction", None),
        ("PUT", f"/assistants/{tree.assistant}/knowledge-bases/{own.kb}", None),
        ("PUT", f"/assistants/{own.assistant}/knowledge-bases/{tree.kb}", None),
        ("DELETE", f"/assistants/{tree.assistant}/knowledge-bases/{tree.kb}", None),
        ("POST", f"/assistants/{tree.assistant}/retrieve", query),
        ("GET", f"/assistants/{tree.assistant}/knowledge/status", None),
        ("POST", "/retrieval/test", {**query, "knowledge_base_ids": [tree.kb]}),
        ("POST", "/retrieval/test", {**query, "knowledge_base_ids": [own.kb, tree.kb]}),
        ("GET", f"/knowledge-bases/{tree.kb}", None),
        ("PATCH", f"/knowledge-bases/{tree.kb}", {"name": "pwned"}),
        ("DELETE", f"/knowledge-bases/{tree.kb}", None),
        ("GET", f"/knowledge-bases/{tree.kb}/documents", None),
        ("GET", f"/knowledge-bases/{tree.kb}/status", None),
        ("GET", f"/documents/{doc}", None),
        ("GET", f"/documents/{doc}/chunks", None),
        ("POST", f"/documents/{doc}/reindex", None),
        ("DELETE", f"/documents/{doc}", None),
        ("PATCH", f"/chunks/{v['chunk']}?enabled=false", None),
        ("GET", f"/conversations/{v['conversation']}", None),
        ("DELETE", f"/conversations/{v['conversation']}", None),
        ("PUT", f"/messages/{v['message']}/feedback", {"rating": "down"}),
        ("PATCH", f"/members/{v['user']}", {"role": "viewer"}),
        ("DELETE", f"/members/{v['user']}", None),
        ("DELETE", f"/api-keys/{v['key']}", None),
    ]


@pytest.mark.parametrize("credential", ["owner token", "api key"])
async def test_every_endpoint_answers_404_across_tenants(
    client: httpx.AsyncClient, victim: dict[str, Any], intruders: dict[str, Any], credential: str
) -> None:
    headers = intruders["as"][credential]
    failures = []
    for method, path, body in attempts(victim, intruders["tree"]):
        response = await client.request(method, f"{V1}{path}", json=body, headers=headers)
        if response.status_code != 404:
            failures.append((method, path, response.status_code, response.text[:200]))
    tree = victim["tree"]
    for path in (
        f"/knowledge-bases/{tree.kb}/documents",
        f"/assistants/{tree.assistant}/knowledge/upload",
    ):
        upload = await client.post(
            f"{V1}{path}", files={"file": ("x.txt", b"planted", "text/plain")}, headers=headers
        )
        if upload.status_code != 404:
            failures.append(("POST", path, upload.status_code, upload.text[:200]))
    assert failures == []


async def test_nothing_of_the_victim_changed(
    client: httpx.AsyncClient, victim: dict[str, Any], intruders: dict[str, Any]
) -> None:
    for credential in ("owner token", "api key"):
        headers = intruders["as"][credential]
        for method, path, body in attempts(victim, intruders["tree"]):
            await client.request(method, f"{V1}{path}", json=body, headers=headers)
    t, tree = victim["tenant"], victim["tree"]
    owner = t.owner
    assert (await client.get(f"{V1}/tenants/{t.id}", headers=owner)).json()["name"] == t.name
    assert (await client.get(f"{V1}/workspaces/{tree.workspace}", headers=owner)).json()[
        "name"
    ] == "Support"
    instruction = (
        await client.get(f"{V1}/assistants/{tree.assistant}/instruction", headers=owner)
    ).json()
    assert instruction["system_prompt"] == "Secret instruction"
    document = (
        await client.get(f"{V1}/documents/{victim['document']['id']}", headers=owner)
    ).json()
    assert document["status"] == "ready"
    chunks = (
        await client.get(f"{V1}/documents/{victim['document']['id']}/chunks", headers=owner)
    ).json()
    assert all(chunk["enabled"] for chunk in chunks["items"])
    conversation = await client.get(f"{V1}/conversations/{victim['conversation']}", headers=owner)
    assert conversation.status_code == 200
    keys = (await client.get(f"{V1}/api-keys", headers=owner)).json()["items"]
    assert keys[0]["revoked_at"] is None


async def test_lists_and_retrieval_show_only_the_callers_data(
    client: httpx.AsyncClient, victim: dict[str, Any], intruders: dict[str, Any]
) -> None:
    headers = intruders["as"]["owner token"]
    own = intruders["tree"]
    for path in ("/workspaces", "/teammates", "/knowledge-bases", "/conversations"):
        items = (await client.get(f"{V1}{path}", headers=headers)).json()["items"]
        assert all(item.get("tenant_id", None) != victim["tenant"].id for item in items), path
        assert victim["tree"].workspace not in {i.get("workspace_id") for i in items}
    hits = (
        await client.post(
            f"{V1}/retrieval/test",
            json={
                "query": "launch code of project Falcon vault",
                "knowledge_base_ids": [own.kb],
                "min_score": -1,
            },
            headers=headers,
        )
    ).json()["hits"]
    assert hits and all("7741" not in hit["text"] for hit in hits)
    answer = (
        await client.post(
            f"{V1}/teammates/{own.teammate}/query",
            json={"query": "What is the launch code of project Falcon?"},
            headers=headers,
        )
    ).json()
    assert "7741" not in answer["answer"]
    assert all(c["document_name"] == "own.txt" for c in answer["citations"])
