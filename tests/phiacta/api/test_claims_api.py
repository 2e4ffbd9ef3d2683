"""Claims: create, read at any version with includes, list with filters and cursors, edit as a
new version, retract softly; with the spec's error codes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import text

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


async def test_create_and_read_a_claim(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    claim = await make_claim(fresh_ns, "Water boils at 100 C at sea level", attrs={"unit": "C"})
    assert claim["version"] == 1 and claim["is_latest"] and not claim["is_retracted"]
    assert claim["lineage_id"] != claim["id"]
    assert claim["namespace"]["path"] == fresh_ns
    assert claim["created_by"]["name"] == "bootstrap admin"
    assert claim["embedding_model"] == "all-MiniLM-L6-v2"
    read = await client.get(f"/v1/claims/{claim['id']}", headers=admin)
    assert read.status_code == 200
    assert read.json()["content"] == "Water boils at 100 C at sea level"


async def test_the_embedding_and_full_text_vector_are_stored(
    client: httpx.AsyncClient, runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    claim = await make_claim(fresh_ns, "Mitochondria produce ATP", formal_content="ATP(m)")
    async with runtime.db.session() as session:
        row = (
            await session.execute(
                text(
                    "SELECT vector_dims(embedding), search_tsv @@ plainto_tsquery('english', "
                    "'produced mitochondria') FROM claims WHERE id = :id"
                ),
                {"id": claim["id"]},
            )
        ).one()
    assert row == (384, True)


async def test_a_patch_of_attrs_only_keeps_the_vector(
    client: httpx.AsyncClient, admin: Headers, runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    v1 = await make_claim(fresh_ns, "Copper conducts electricity")
    patched = await client.patch(
        f"/v1/claims/{v1['id']}", json={"attrs": {"checked": True}}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    async with runtime.db.session() as session:
        same = await session.scalar(
            text(
                "SELECT a.embedding = b.embedding FROM claims a, claims b "
                "WHERE a.id = :a AND b.id = :b"
            ),
            {"a": v1["id"], "b": patched.json()["id"]},
        )
    assert same is True


async def test_an_unknown_namespace_is_422_unless_created(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str
) -> None:
    body = {"content": "x y z", "claim_type": "assertion", "namespace": f"{fresh_ns}.deep.er"}
    refused = await client.post("/v1/claims", json=body, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "NAMESPACE_NOT_FOUND"
    created = await client.post(
        "/v1/claims", json={**body, "create_namespace": True}, headers=admin
    )
    assert created.status_code == 201
    assert created.json()["namespace"]["path"] == f"{fresh_ns}.deep.er"
    parent = await client.get(f"/v1/namespaces/{fresh_ns}.deep", headers=admin)
    assert parent.status_code == 200


async def test_invalid_input_reports_field_paths(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str
) -> None:
    response = await client.post(
        "/v1/claims",
        json={"content": "", "claim_type": "Not-Valid", "namespace": fresh_ns},
        headers=admin,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    found = {(item["field"], item["code"]) for item in error["details"]}
    assert found == {("content", "LENGTH"), ("claim_type", "PATTERN")}


async def test_patch_creates_a_new_version_superseding_the_old(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    v1 = await make_claim(fresh_ns, "The speed of light is 3e8 m/s")
    patched = await client.patch(
        f"/v1/claims/{v1['id']}",
        json={"content": "The speed of light is 299792458 m/s", "reason": "exact value"},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    v2 = patched.json()
    assert v2["id"] != v1["id"]
    assert (v2["lineage_id"], v2["version"], v2["supersedes"]) == (v1["lineage_id"], 2, v1["id"])
    old = (await client.get(f"/v1/claims/{v1['id']}", headers=admin)).json()
    assert old["status"] == "deprecated" and not old["is_latest"]
    by_version = await client.get(
        f"/v1/claims/{v1['id']}", params={"version": 2, "include": "edges,lineage"}, headers=admin
    )
    body = by_version.json()
    assert body["id"] == v2["id"]
    assert [entry["version"] for entry in body["lineage"]] == [1, 2]
    (edge,) = body["edges"]
    assert (edge["source_id"], edge["target_id"], edge["edge_type"]) == (
        v2["id"], v1["id"], "supersedes",
    )  # fmt: skip
    assert edge["attrs"] == {"reason": "exact value"}
    missing = await client.get(f"/v1/claims/{v1['id']}", params={"version": 9}, headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "VERSION_NOT_FOUND"


async def test_only_the_latest_version_can_be_edited(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    v1 = await make_claim(fresh_ns, "first")
    assert (
        await client.patch(f"/v1/claims/{v1['id']}", json={"content": "second"}, headers=admin)
    ).is_success
    stale = await client.patch(f"/v1/claims/{v1['id']}", json={"content": "x"}, headers=admin)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "CONCURRENT_MODIFICATION"
    assert stale.json()["error"]["details"]["latest_version"] == 2


async def test_concurrent_edits_of_one_version_let_exactly_one_win(
    client: httpx.AsyncClient, admin: Headers, runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    v1 = await make_claim(fresh_ns, "racing")
    results = await asyncio.gather(
        *(
            client.patch(f"/v1/claims/{v1['id']}", json={"content": f"edit {n}"}, headers=admin)
            for n in range(4)
        )
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    async with runtime.db.session() as session:
        latest = await session.scalar(
            text("SELECT count(*) FROM claims WHERE lineage_id = :l AND is_latest"),
            {"l": v1["lineage_id"]},
        )
    assert latest == 1


async def test_list_filters_and_latest_only(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    await client.post("/v1/namespaces", json={"name": "sub", "parent": fresh_ns}, headers=admin)
    a = await make_claim(fresh_ns, "alpha", attrs={"field": "physics", "n": 1})
    await make_claim(f"{fresh_ns}.sub", "beta", claim_type="theorem", attrs={"field": "math"})
    await client.patch(f"/v1/claims/{a['id']}", json={"content": "alpha 2"}, headers=admin)

    async def contents(**params: Any) -> list[str]:
        response = await client.get("/v1/claims", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return sorted(claim["content"] for claim in response.json()["claims"])

    assert await contents(namespace=fresh_ns) == ["alpha 2"]
    assert await contents(namespace=f"{fresh_ns}.*") == ["alpha 2", "beta"]
    assert await contents(namespace=f"{fresh_ns}.*", claim_type="theorem") == ["beta"]
    assert await contents(namespace=f"{fresh_ns}.*", attrs=json.dumps({"field": "physics"})) == [
        "alpha 2"
    ]
    assert await contents(namespace=fresh_ns, latest_only="false") == ["alpha", "alpha 2"]
    assert await contents(namespace=fresh_ns, status="deprecated", latest_only="false") == ["alpha"]
    bad = await client.get("/v1/claims", params={"attrs": "[1]"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_PARAMETER"


async def test_cursor_pagination_visits_every_claim_once(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    made = {(await make_claim(fresh_ns, f"claim {n}"))["id"] for n in range(7)}
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"namespace": fresh_ns, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/v1/claims", params=params, headers=admin)).json()
        assert page["total_count"] == 7
        seen += [claim["id"] for claim in page["claims"]]
        pages += 1
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert pages == 3 and len(seen) == 7 and set(seen) == made
    forged = await client.get("/v1/claims", params={"cursor": "not-a-cursor"}, headers=admin)
    assert forged.status_code == 400


async def test_retraction_is_soft_and_records_the_notice(
    client: httpx.AsyncClient, admin: Headers, runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    claim = await make_claim(fresh_ns, "cold fusion works")
    notice = await make_claim(fresh_ns, "retraction notice for the cold fusion claim")
    response = await client.request(
        "DELETE",
        f"/v1/claims/{claim['id']}",
        json={"reason": "not reproducible", "retraction_source_id": notice["id"]},
        headers=admin,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "retracted" and body["retraction_edge_id"]
    read = (await client.get(f"/v1/claims/{claim['id']}", headers=admin)).json()
    assert read["is_retracted"] and read["retraction_reason"] == "not reproducible"
    cannot_edit = await client.patch(
        f"/v1/claims/{claim['id']}", json={"content": "x"}, headers=admin
    )
    assert cannot_edit.status_code == 409
    async with runtime.db.session() as session:
        in_latest_view = await session.scalar(
            text("SELECT count(*) FROM claims_latest WHERE lineage_id = :l"),
            {"l": claim["lineage_id"]},
        )
        status = await session.scalar(
            text("SELECT epistemic_status FROM claims_with_confidence WHERE id = :id"),
            {"id": claim["id"]},
        )
    assert in_latest_view == 0 and status == "retracted"


async def test_ownership_rules_for_edits(
    client: httpx.AsyncClient, make_agent: Factory, fresh_ns: str, make_claim: Factory
) -> None:
    _, author = await make_agent(["bundles:write", "claims:read"], "author")
    _, stranger = await make_agent(["bundles:write", "claims:read"], "stranger")
    claim = await make_claim(fresh_ns, "owned claim", headers=author)
    refused = await client.patch(
        f"/v1/claims/{claim['id']}", json={"content": "x"}, headers=stranger
    )
    assert refused.status_code == 403
    allowed = await client.patch(f"/v1/claims/{claim['id']}", json={"content": "y"}, headers=author)
    assert allowed.status_code == 200


async def test_unknown_claims_and_includes(client: httpx.AsyncClient, admin: Headers) -> None:
    missing = await client.get("/v1/claims/00000000-0000-0000-0000-000000000000", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "CLAIM_NOT_FOUND"
    bad = await client.get("/v1/claims", params={"include": "secrets"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_PARAMETER"


async def test_provenance_from_a_source(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    source = await client.post(
        "/v1/sources",
        json={"source_type": "paper", "title": "On X", "external_ref": "doi:10.1/x"},
        headers=admin,
    )
    assert source.status_code == 201
    claim = await make_claim(
        fresh_ns, "X holds", source_id=source.json()["id"], extraction_confidence=0.9
    )
    read = await client.get(
        f"/v1/claims/{claim['id']}", params={"include": "provenance"}, headers=admin
    )
    (provenance,) = read.json()["provenance"]
    assert provenance["source_id"] == source.json()["id"] and provenance["confidence"] == 0.9
