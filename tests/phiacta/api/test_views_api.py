"""Views: lineage, proof_tree, evidence_map, paper and comparison."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


async def _view(client: httpx.AsyncClient, headers: Headers, **body: Any) -> httpx.Response:
    return await client.post("/v1/query/view", json=body, headers=headers)


async def _paper(client: httpx.AsyncClient, headers: Headers, ns: str, claims: list[Any]) -> str:
    bundle = {
        "idempotency_key": uuid.uuid4().hex,
        "namespace": ns,
        "source": {"source_type": "paper", "title": "Paper"},
        "claims": [
            {"temp_id": f"c{i}", "content": text, "claim_type": "assertion",
             "attrs": {"section": section}}
            for i, (section, text) in enumerate(claims)
        ],
    }  # fmt: skip
    response = await client.post("/v1/bundles", json=bundle, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["source_id"])


async def test_lineage_and_proof_tree_and_evidence_map(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    theorem = await make_claim(fresh_ns, "theorem v1")
    await client.patch(f"/v1/claims/{theorem['id']}", json={"content": "theorem v2"}, headers=admin)
    lineage = (await _view(client, admin, view_type="lineage", root=theorem["id"])).json()
    assert [v["content"] for v in lineage["data"]["versions"]] == ["theorem v1", "theorem v2"]

    goal, lemma, axiom = [await make_claim(fresh_ns, t) for t in ("goal", "lemma", "axiom")]
    for a, b, kind in ((goal, lemma, "depends_on"), (lemma, axiom, "assumes")):
        body = {"source_id": a["id"], "target_id": b["id"], "edge_type": kind}
        assert (await client.post("/v1/edges", json=body, headers=admin)).status_code == 201
    tree = (await _view(client, admin, view_type="proof_tree", root=goal["id"])).json()
    depths = {n["claim"]["content"]: n["depth"] for n in tree["data"]["nodes"]}
    assert depths == {"goal": 0, "lemma": 1, "axiom": 2}

    support = await make_claim(fresh_ns, "support for the goal")
    await client.post(
        f"/v1/claims/{goal['id']}/evidence",
        json={"source_claim_id": support["id"], "relationship": "supports"},
        headers=admin,
    )
    evidence = (await _view(client, admin, view_type="evidence_map", root=goal["id"])).json()
    assert evidence["data"]["summary"]["total_supporting"] == 1
    bad = await _view(
        client, admin, view_type="proof_tree", root=goal["id"], options={"max_depth": 99}
    )
    assert bad.status_code == 422


async def test_paper_and_comparison(
    client: httpx.AsyncClient, admin: Headers, fresh_ns: str
) -> None:
    first = await _paper(
        client, admin, fresh_ns,
        [("discussion", "Side effects were rare"),
         ("results", "The drug lowered blood pressure in adults")],
    )  # fmt: skip
    second = await _paper(
        client, admin, fresh_ns, [("results", "Blood pressure in adults fell with the drug")]
    )
    paper = (await _view(client, admin, view_type="paper", root=first)).json()["data"]
    assert [s["section"] for s in paper["sections"]] == ["results", "discussion"]
    compared = await _view(
        client, admin, view_type="comparison", root=first,
        options={"sources": [second], "min_similarity": 0.6},
    )  # fmt: skip
    rows = compared.json()["data"]["rows"]
    matched = {row["content"]: row[second] for row in rows}
    assert matched["The drug lowered blood pressure in adults"]["similarity"] > 0.6
    assert matched["Side effects were rare"] is None


@pytest.mark.parametrize("view_type", ["paper", "lineage"])
async def test_unknown_roots_are_404(
    client: httpx.AsyncClient, admin: Headers, view_type: str
) -> None:
    response = await _view(client, admin, view_type=view_type, root=str(uuid.uuid4()))
    assert response.status_code == 404
