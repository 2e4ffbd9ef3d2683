"""Reviews (one per reviewer, upserted with history), evidence chains, query-time confidence."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


async def _review(
    client: httpx.AsyncClient, claim_id: str, headers: Headers, verdict: str, confidence: float
) -> httpx.Response:
    return await client.post(
        f"/v1/claims/{claim_id}/reviews",
        json={"verdict": verdict, "confidence": confidence},
        headers=headers,
    )


async def test_a_second_review_replaces_the_first_and_keeps_history(
    client: httpx.AsyncClient, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    claim = await make_claim(fresh_ns, "reviewed claim")
    first = await _review(client, claim["id"], writer, "endorse", 0.8)
    assert first.status_code == 201
    assert first.json()["reviewer"]["name"] == "writer"
    second = await _review(client, claim["id"], writer, "dispute", 0.6)
    assert second.status_code == 200
    assert (second.json()["id"], second.json()["revisions"]) == (first.json()["id"], 1)
    listed = (await client.get(f"/v1/claims/{claim['id']}/reviews", headers=writer)).json()
    assert [(r["verdict"], r["confidence"]) for r in listed] == [("dispute", 0.6)]
    bad = await _review(client, claim["id"], writer, "endorse", 1.5)
    assert bad.status_code == 422
    missing = await _review(client, "00000000-0000-0000-0000-000000000000", writer, "endorse", 1)
    assert missing.json()["error"]["code"] == "CLAIM_NOT_FOUND"


async def test_confidence_models_and_distribution(
    client: httpx.AsyncClient,
    make_agent: Factory,
    writer: Headers,
    fresh_ns: str,
    make_claim: Factory,
) -> None:
    claim = await make_claim(fresh_ns, "a claim under review")
    human_id, human = await make_agent(["claims:write"], "human reviewer")
    await _review(client, claim["id"], human, "endorse", 0.9)
    await _review(client, claim["id"], writer, "dispute", 0.8)  # says 0.2 likely true

    async def score(**params: Any) -> dict[str, Any]:
        response = await client.get(
            f"/v1/claims/{claim['id']}/confidence", params=params, headers=writer
        )
        assert response.status_code == 200, response.text
        return response.json()

    simple = await score(model="simple_average")
    assert simple["confidence"]["score"] == pytest.approx(0.55)
    assert simple["reviews_considered"] == 2
    weighted = await score(trust_profile=json.dumps({human_id: 3.0}))
    assert weighted["model"] == "weighted_reviewer"
    assert weighted["confidence"]["score"] == pytest.approx((0.9 * 3 + 0.2) / 4)
    assert "trust profile" in " ".join(weighted["caveats"])
    bayes = (await score(model="bayesian"))["confidence"]
    assert bayes["score"] == pytest.approx((1 + 0.9 + 0.2) / 4)
    assert bayes["lower_bound"] < bayes["score"] < bayes["upper_bound"]
    only_ai = await score(model="simple_average", reviewer_filter="ai")
    assert only_ai["reviews_considered"] == 2  # make_agent creates "ai" agents
    distribution = (
        await client.get(f"/v1/claims/{claim['id']}/confidence/distribution", headers=writer)
    ).json()
    counts = [bucket["count"] for bucket in distribution["distribution"]["buckets"]]
    assert counts == [0, 1, 0, 0, 1]
    assert distribution["by_reviewer_type"]["ai"]["count"] == 2
    bad = await client.get(
        f"/v1/claims/{claim['id']}/confidence", params={"trust_profile": "[]"}, headers=writer
    )
    assert bad.status_code == 400


async def test_evidence_chains_and_linking(
    client: httpx.AsyncClient, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    target = await make_claim(fresh_ns, "the hypothesis")
    pro = await make_claim(fresh_ns, "a supporting experiment")
    con = await make_claim(fresh_ns, "a failed replication")
    deeper = await make_claim(fresh_ns, "calibration of the experiment")
    linked = await client.post(
        f"/v1/claims/{target['id']}/evidence",
        json={"source_claim_id": pro["id"], "relationship": "supports", "strength": 0.9},
        headers=writer,
    )
    assert linked.status_code == 201
    assert linked.json()["edge_type"] == "supports"
    for source, target_id, relationship, strength in (
        (con, target["id"], "contradicts", 0.3),
        (deeper, pro["id"], "supports", 1.0),
    ):
        response = await client.post(
            f"/v1/claims/{target_id}/evidence",
            json={
                "source_claim_id": source["id"],
                "relationship": relationship,
                "strength": strength,
            },
            headers=writer,
        )
        assert response.status_code == 201
    shallow = (await client.get(f"/v1/claims/{target['id']}/evidence", headers=writer)).json()
    assert [item["claim"]["id"] for item in shallow["evidence"]["supports"]] == [pro["id"]]
    assert shallow["summary"]["net_support"] == pytest.approx((0.9 - 0.3) / 1.2)
    deep = (
        await client.get(f"/v1/claims/{target['id']}/evidence", params={"depth": 2}, headers=writer)
    ).json()
    depths = sorted(
        (item["claim"]["content"], item["chain_depth"]) for item in deep["evidence"]["supports"]
    )
    assert depths == [("a supporting experiment", 1), ("calibration of the experiment", 2)]
    await client.delete(f"/v1/claims/{con['id']}", headers=writer)
    after = (await client.get(f"/v1/claims/{target['id']}/evidence", headers=writer)).json()
    assert after["summary"]["total_contradicting"] == 0
    self_link = await client.post(
        f"/v1/claims/{target['id']}/evidence",
        json={"source_claim_id": target["id"], "relationship": "supports"},
        headers=writer,
    )
    assert self_link.status_code == 422
