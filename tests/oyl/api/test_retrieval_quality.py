"""Retrieval quality on our own set: 60 questions with known answers over 23 documents,
ingested by the real worker; dense, lexical and hybrid search through the retrieval-test API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from oyl.retrieval.evaluation import Quality, evaluate
from servicekit.testing.jobs import WorkerProcess

V1 = "/api/v1"
CORPUS = json.loads((Path(__file__).parent.parent / "quality" / "corpus.json").read_text())


@pytest.fixture(scope="module")
async def library(api: Any, client: httpx.AsyncClient, worker: WorkerProcess) -> dict[str, Any]:
    tenant = await api.tenant("quality")
    tree = await api.tree(tenant)
    for document in CORPUS["documents"]:
        response = await api.upload(
            tenant.owner, tree.kb, document["name"], document["text"].encode()
        )
        assert response.status_code == 201, response.text
    listed = (
        await client.get(
            f"{V1}/knowledge-bases/{tree.kb}/documents?limit=100", headers=tenant.owner
        )
    ).json()
    for document in listed["items"]:
        assert (await api.wait_ready(tenant.owner, document["id"]))["status"] == "ready"
    return {"tenant": tenant, "kb": tree.kb}


async def measure(client: httpx.AsyncClient, library: dict[str, Any], mode: str) -> Quality:
    rankings = []
    for question in CORPUS["questions"]:
        response = await client.post(
            f"{V1}/retrieval/test",
            json={
                "query": question["q"],
                "knowledge_base_ids": [library["kb"]],
                "top_k": 5,
                "min_score": -1,
                "mode": mode,
            },
            headers=library["tenant"].owner,
        )
        assert response.status_code == 200, response.text
        rankings.append([hit["document_name"] for hit in response.json()["hits"]])
    return evaluate(rankings, [{q["doc"]} for q in CORPUS["questions"]], k=5)


async def test_the_set_is_big_enough() -> None:
    assert len(CORPUS["documents"]) >= 20 and len(CORPUS["questions"]) >= 50


async def test_hybrid_recall_beats_or_matches_each_part(
    client: httpx.AsyncClient, library: dict[str, Any]
) -> None:
    quality = {
        mode: await measure(client, library, mode) for mode in ("dense", "lexical", "hybrid")
    }
    summary = {mode: (q.recall_at_k, round(q.mrr, 3)) for mode, q in quality.items()}
    hybrid = quality["hybrid"]
    assert hybrid.recall_at_k >= 0.9, summary
    assert hybrid.recall_at_k >= quality["dense"].recall_at_k, summary
    assert hybrid.recall_at_k >= quality["lexical"].recall_at_k, summary
    assert hybrid.mrr >= 0.75, summary
