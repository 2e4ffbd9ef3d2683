"""Bundles: atomic, temp ids, idempotency (replay, conflict, races), size cap, pending
references across bundles, near-duplicate warnings, provenance and artifacts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="module")
async def extension(make_agent: Factory) -> Headers:
    _, headers = await make_agent(["bundles:write", "claims:read"], "ext-notes")
    return headers


def _bundle(ns: str, **extra: Any) -> dict[str, Any]:
    return {
        "idempotency_key": f"key-{uuid.uuid4().hex}",
        "namespace": ns,
        "source": {"source_type": "paper", "title": "A paper", "external_ref": None},
        "claims": [
            {"temp_id": "c1", "content": "Vaccine X reduces infection by 60%", "claim_type":
             "observation", "confidence": 0.9, "attrs": {"section": "results"}},
            {"temp_id": "c2", "content": "Vaccine X is effective", "claim_type": "assertion"},
        ],
        "edges": [{"source_temp_id": "c1", "target_temp_id": "c2", "edge_type": "supports",
                   "strength": 0.7}],
        "artifacts": [{"temp_id": "t1", "artifact_type": "table", "structured_data":
                       {"format": "csv", "columns": ["a"], "rows": [[1]]},
                       "linked_claim_temp_ids": ["c1"]}],
        **extra,
    }  # fmt: skip


async def test_a_bundle_commits_claims_edges_provenance_and_artifacts(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    response = await client.post("/v1/bundles", json=_bundle(fresh_ns), headers=extension)
    assert response.status_code == 201, response.text
    body = response.json()
    ids = {c["temp_id"]: c["id"] for c in body["created_claims"]}
    assert set(ids) == {"c1", "c2"}
    (edge,) = body["created_edges"]
    assert (edge["source_id"], edge["target_id"]) == (ids["c1"], ids["c2"])
    claim = await client.get(
        f"/v1/claims/{ids['c1']}",
        params={"include": "provenance,artifacts,edges"},
        headers=extension,
    )
    read = claim.json()
    assert read["provenance"][0]["confidence"] == 0.9
    assert read["provenance"][0]["source_id"] == body["source_id"]
    assert read["artifacts"][0]["structured_data"]["columns"] == ["a"]
    assert read["edges"][0]["strength"] == 0.7
    stored = (await client.get(f"/v1/bundles/{body['bundle_id']}", headers=extension)).json()
    assert (stored["claim_count"], stored["edge_count"], stored["artifact_count"]) == (2, 1, 1)
    async with runtime.db.session() as session:
        events = (
            (
                await session.execute(
                    text("SELECT type FROM event_log WHERE data->>'bundle_id' = :b ORDER BY seq"),
                    {"b": body["bundle_id"]},
                )
            )
            .scalars()
            .all()
        )
    assert events == ["claim_created", "claim_created", "bundle_accepted"]


async def test_same_key_replays_and_another_body_conflicts(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str
) -> None:
    bundle = _bundle(fresh_ns)
    first = await client.post("/v1/bundles", json=bundle, headers=extension)
    again = await client.post("/v1/bundles", json=bundle, headers=extension)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "already_accepted"
    assert again.json()["created_claims"] == first.json()["created_claims"]
    changed = {**bundle, "claims": bundle["claims"][:1], "edges": [], "artifacts": []}
    conflict = await client.post("/v1/bundles", json=changed, headers=extension)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "IDEMPOTENCY_CONFLICT"


async def test_concurrent_submissions_with_one_key_commit_once(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    bundle = _bundle(fresh_ns)
    answers = await asyncio.gather(
        *(client.post("/v1/bundles", json=bundle, headers=extension) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 201]
    assert len({a.json()["bundle_id"] for a in answers}) == 1
    async with runtime.db.session() as session:
        count = await session.scalar(
            text(
                "SELECT count(*) FROM claims c JOIN namespaces n ON n.id = c.namespace_id "
                "WHERE n.path = :p"
            ),
            {"p": fresh_ns},
        )
    assert count == 2


async def test_validation_reports_every_problem_with_its_path(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str
) -> None:
    bundle = _bundle(fresh_ns)
    bundle["claims"].append({"temp_id": "c1", "content": "dup", "claim_type": "assertion"})
    bundle["edges"] = [
        {"source_temp_id": "c9", "target_temp_id": "c2", "edge_type": "supports"},
        {"source_temp_id": "c1", "target_temp_id": "c2", "edge_type": "explains"},
        {"source_temp_id": "c1", "edge_type": "supports"},
        {"source_temp_id": "c2", "target_temp_id": "c2", "edge_type": "supports"},
    ]
    bundle["artifacts"][0]["linked_claim_temp_ids"] = ["nope"]
    response = await client.post("/v1/bundles", json=bundle, headers=extension)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "BUNDLE_VALIDATION_FAILED"
    assert {(d["field"], d["code"]) for d in error["details"]} == {
        ("claims[2].temp_id", "DUPLICATE_TEMP_ID"),
        ("edges[0].source_temp_id", "TEMP_ID_UNRESOLVED"),
        ("edges[1].edge_type", "EDGE_TYPE_UNKNOWN"),
        ("edges[2]", "TARGET_REQUIRED"),
        ("edges[3].target_temp_id", "ANTI_REFLEXIVE"),
        ("artifacts[0].linked_claim_temp_ids[0]", "TEMP_ID_UNRESOLVED"),
    }
    # Nothing was written: the key is still free.
    fixed = _bundle(fresh_ns, idempotency_key=bundle["idempotency_key"])
    assert (await client.post("/v1/bundles", json=fixed, headers=extension)).status_code == 201


async def test_database_checks_and_cycles(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str
) -> None:
    missing_ns = await client.post(
        "/v1/bundles", json=_bundle(f"{fresh_ns}.unknown"), headers=extension
    )
    assert missing_ns.status_code == 422
    assert missing_ns.json()["error"]["code"] == "NAMESPACE_NOT_FOUND"
    created = await client.post(
        "/v1/bundles", json=_bundle(f"{fresh_ns}.unknown", create_namespace=True), headers=extension
    )
    assert created.status_code == 201
    ghost = _bundle(fresh_ns)
    ghost["edges"] = [
        {"source_temp_id": "c1", "target_id": str(uuid.uuid4()), "edge_type": "supports"}
    ]
    refused = await client.post("/v1/bundles", json=ghost, headers=extension)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["code"] == "UNRESOLVED_REFERENCE"
    cyclic = _bundle(fresh_ns)
    cyclic["edges"] = [
        {"source_temp_id": "c1", "target_temp_id": "c2", "edge_type": "derives_from"},
        {"source_temp_id": "c2", "target_temp_id": "c1", "edge_type": "derives_from"},
    ]
    cycle = await client.post("/v1/bundles", json=cyclic, headers=extension)
    assert cycle.status_code == 422
    assert cycle.json()["error"]["details"][0]["code"] == "CYCLE"


async def test_the_claim_cap_is_enforced(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    cap = runtime.settings.max_bundle_claims
    bundle = _bundle(fresh_ns, edges=[], artifacts=[])
    bundle["claims"] = [
        {"temp_id": f"c{n}", "content": f"claim {n}", "claim_type": "assertion"}
        for n in range(cap + 1)
    ]
    response = await client.post("/v1/bundles", json=bundle, headers=extension)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "TOO_MANY"


async def test_pending_references_resolve_when_the_cited_paper_arrives(
    client: httpx.AsyncClient, extension: Headers, runtime: Any, fresh_ns: str
) -> None:
    doi = f"10.1234/{uuid.uuid4().hex[:8]}"
    citing = _bundle(fresh_ns, edges=[], artifacts=[])
    citing["edges"] = [
        {
            "source_temp_id": "c1",
            "target_external_ref": f"doi:{doi.upper()}",
            "edge_type": "supports",
        }
    ]
    first = (await client.post("/v1/bundles", json=citing, headers=extension)).json()
    assert first["pending_references"] == [
        {"external_ref": doi, "status": "pending", "resolved_to": None}
    ]
    citing_claim = first["created_claims"][0]["id"]
    cited = _bundle(fresh_ns, edges=[], artifacts=[])
    cited["source"]["external_ref"] = f"https://doi.org/{doi}"
    cited["claims"][1]["attrs"] = {"anchor": True}
    second = (await client.post("/v1/bundles", json=cited, headers=extension)).json()
    anchor = second["created_claims"][1]["id"]
    assert second["resolved_references"] == [
        {"external_ref": doi, "status": "resolved", "resolved_to": anchor}
    ]
    edges = await client.get(
        "/v1/edges", params={"claim_id": citing_claim, "direction": "outgoing"}, headers=extension
    )
    assert [(e["target_id"], e["edge_type"]) for e in edges.json()["edges"]] == [
        (anchor, "supports")
    ]
    async with runtime.db.session() as session:
        logged = (
            await session.execute(
                text(
                    "SELECT seq, type FROM event_log WHERE data->>'bundle_id' = :b "
                    "OR data->>'resolved_claim_id' = :a ORDER BY seq"
                ),
                {"b": second["bundle_id"], "a": anchor},
            )
        ).all()
    # The resolution happened first; the bundle's events follow, without gaps.
    assert [kind for _, kind in logged] == [
        "pending_reference_resolved", "claim_created", "claim_created", "bundle_accepted",
    ]  # fmt: skip
    assert [seq for seq, _ in logged] == list(range(logged[0][0], logged[0][0] + 4))
    # A later citation of the same DOI resolves at once.
    later = _bundle(fresh_ns, edges=[], artifacts=[])
    later["edges"] = [{"source_temp_id": "c1", "target_external_ref": doi, "edge_type": "supports"}]
    third = (await client.post("/v1/bundles", json=later, headers=extension)).json()
    assert third["pending_references"][0]["resolved_to"] == anchor
    assert third["created_edges"][0]["target_id"] == anchor


async def test_near_duplicates_are_warned_about_but_stored(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str
) -> None:
    original = _bundle(fresh_ns, edges=[], artifacts=[])
    original["claims"] = [
        {
            "temp_id": "a",
            "content": "Penguins cannot fly but swim very well",
            "claim_type": "assertion",
        }
    ]
    first = (await client.post("/v1/bundles", json=original, headers=extension)).json()
    again = _bundle(fresh_ns, edges=[], artifacts=[])
    again["claims"] = [
        {
            "temp_id": "b",
            "content": "Penguins cannot fly, but they swim very well",
            "claim_type": "assertion",
        }
    ]
    second = await client.post("/v1/bundles", json=again, headers=extension)
    assert second.status_code == 201
    (warning,) = second.json()["warnings"]
    assert warning["type"] == "potential_duplicate" and warning["claim_temp_id"] == "b"
    assert warning["similar_claim_id"] == first["created_claims"][0]["id"]
    assert warning["similarity"] > 0.92


async def test_a_bundle_stores_each_claims_own_vector_exactly(
    client: httpx.AsyncClient, extension: Headers, admin: Headers, fresh_ns: str, runtime: Any
) -> None:
    """Vectors travel in pgvector's binary format: every claim gets its own, bit for bit, and
    a semantic search finds the bundle's claims as soon as it has committed."""
    contents = ["Octopuses have three hearts", "Honey never spoils when sealed"]
    body = _bundle(fresh_ns, edges=[], artifacts=[])
    body["claims"] = [
        {"temp_id": f"v{i}", "content": content, "claim_type": "assertion"}
        for i, content in enumerate(contents)
    ]
    made = (await client.post("/v1/bundles", json=body, headers=extension)).json()
    ids = [c["id"] for c in made["created_claims"]]
    expected = await runtime.embedder.embed(contents)
    async with runtime.db.session() as session:
        stored = dict(
            (
                await session.execute(
                    text("SELECT id::text, embedding::real[] FROM claims WHERE id = ANY(:ids)"),
                    {"ids": [uuid.UUID(i) for i in ids]},
                )
            ).all()
        )
    for claim_id, vector in zip(ids, expected, strict=True):
        assert stored[claim_id] == [float(x) for x in vector]
    found = await client.post(
        "/v1/query/search",
        json={
            "query": contents[1],
            "mode": "semantic",
            "top_k": 1,
            "filters": {"namespace_prefix": fresh_ns},
        },
        headers=admin,
    )
    assert found.status_code == 200, found.text
    assert [hit["claim"]["id"] for hit in found.json()["results"]] == [ids[1]]


async def test_bundles_need_bundles_write(
    client: httpx.AsyncClient, writer: Headers, fresh_ns: str
) -> None:
    response = await client.post("/v1/bundles", json=_bundle(fresh_ns), headers=writer)
    assert response.status_code == 403


async def test_a_cycle_closed_through_stored_edges_is_refused(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str
) -> None:
    doi = f"10.5555/{uuid.uuid4().hex[:8]}"
    # Claim P depends on the paper `doi`, which is not here yet: a pending reference.
    citing = _bundle(fresh_ns, edges=[], artifacts=[])
    citing["edges"] = [
        {"source_temp_id": "c1", "target_external_ref": doi, "edge_type": "depends_on"}
    ]
    first = (await client.post("/v1/bundles", json=citing, headers=extension)).json()
    cited_by = first["created_claims"][0]["id"]
    # The paper arrives, and its anchor depends on P: resolving the reference would close
    # anchor -> P -> anchor, a cycle no edge of this bundle alone shows.
    arriving = _bundle(fresh_ns, edges=[], artifacts=[])
    arriving["source"]["external_ref"] = doi
    arriving["edges"] = [{"source_temp_id": "c1", "target_id": cited_by, "edge_type": "depends_on"}]
    refused = await client.post("/v1/bundles", json=arriving, headers=extension)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "BUNDLE_VALIDATION_FAILED"
    assert [(d["field"], d["code"]) for d in error["details"]] == [("source.external_ref", "CYCLE")]
    # Nothing of the refused bundle stayed; without the closing edge the paper is accepted
    # and the reference resolves.
    arriving["idempotency_key"] += "-fixed"
    arriving["edges"] = [{"source_temp_id": "c1", "target_id": cited_by, "edge_type": "supports"}]
    accepted = await client.post("/v1/bundles", json=arriving, headers=extension)
    assert accepted.status_code == 201, accepted.text
    assert [r["status"] for r in accepted.json()["resolved_references"]] == ["resolved"]


async def test_an_edge_to_the_bundles_own_source_cannot_hide_a_cycle(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str
) -> None:
    doi = f"10.5555/{uuid.uuid4().hex[:8]}"
    bundle = _bundle(fresh_ns, edges=[], artifacts=[])
    bundle["source"]["external_ref"] = doi
    bundle["claims"][0]["attrs"] = {"anchor": True}  # c1 is the paper's anchor claim
    bundle["edges"] = [
        {"source_temp_id": "c1", "target_temp_id": "c2", "edge_type": "derives_from"},
        {"source_temp_id": "c2", "target_external_ref": doi, "edge_type": "derives_from"},
    ]
    refused = await client.post("/v1/bundles", json=bundle, headers=extension)
    assert refused.status_code == 422, refused.text
    assert [(d["field"], d["code"]) for d in refused.json()["error"]["details"]] == [
        ("edges[1].target_external_ref", "CYCLE")
    ]
