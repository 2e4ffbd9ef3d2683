"""Retrieval tests (no LLM): hybrid ranks, threshold, metadata filters, disabled chunks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oyl.main import build_app
from servicekit.testing.app import app_client
from servicekit.testing.jobs import WorkerProcess

V1 = "/api/v1"


@pytest.fixture(scope="module")
async def shelf(
    api: Any, client: httpx.AsyncClient, worker: WorkerProcess, make_pdf
) -> dict[str, Any]:
    tenant = await api.tenant("shelf")
    tree = await api.tree(tenant)
    notes = await api.ingested(
        tenant.owner, tree.kb, "garden.md", b"Tomatoes need six hours of sun and weekly watering."
    )
    manual = await api.ingested(
        tenant.owner,
        tree.kb,
        "boiler.pdf",
        make_pdf(
            ["The boiler pressure must stay near 1.5 bar.", "Bleed the radiators every autumn."]
        ),
    )
    assert notes["status"] == manual["status"] == "ready"
    return {"tenant": tenant, "tree": tree, "notes": notes, "manual": manual}


async def search(client: httpx.AsyncClient, shelf: dict[str, Any], **body: Any) -> httpx.Response:
    body.setdefault("knowledge_base_ids", [shelf["tree"].kb])
    return await client.post(f"{V1}/retrieval/test", json=body, headers=shelf["tenant"].owner)


async def test_hybrid_hits_carry_both_ranks(
    client: httpx.AsyncClient, shelf: dict[str, Any]
) -> None:
    body = (await search(client, shelf, query="How much sun do tomatoes need?")).json()
    assert body["mode"] == "hybrid" and body["min_score"] == 0.2
    top = body["hits"][0]
    assert top["document_name"] == "garden.md" and top["rank"] == 1
    assert top["dense_rank"] == 1 and top["lexical_rank"] == 1
    assert top["similarity"] > 0.5 and top["score"] == pytest.approx(2 / 61, abs=1e-6)
    dense = (await search(client, shelf, query="tomatoes sun", mode="dense")).json()["hits"][0]
    assert dense["lexical_rank"] is None and dense["score"] == dense["similarity"]


async def test_odd_questions_are_searched_safely(
    client: httpx.AsyncClient, shelf: dict[str, Any]
) -> None:
    for query in (
        "O'Neil's boiler \\ pressure: 1.5 bar?",
        "the and of",
        "'); DROP TABLE chunks; --",
    ):
        response = await search(client, shelf, query=query, min_score=-1)
        assert response.status_code == 200, (query, response.text)
    hits = (await search(client, shelf, query="O'Neil's boiler pressure", min_score=-1)).json()
    assert hits["hits"][0]["document_name"] == "boiler.pdf"


async def test_threshold_keeps_weak_matches_out(
    client: httpx.AsyncClient, shelf: dict[str, Any]
) -> None:
    assert (await search(client, shelf, query="tomatoes sun", min_score=0.99)).json()["hits"] == []
    unrelated = await search(client, shelf, query="quarterly revenue of the stock exchange")
    assert unrelated.json()["hits"] == []


async def test_metadata_filters(client: httpx.AsyncClient, shelf: dict[str, Any]) -> None:
    query = "boiler pressure radiators tomatoes"
    only_pdf = (
        await search(
            client, shelf, query=query, min_score=-1, filters={"media_types": ["application/pdf"]}
        )
    ).json()["hits"]
    assert only_pdf and {hit["document_name"] for hit in only_pdf} == {"boiler.pdf"}
    only_notes = (
        await search(
            client,
            shelf,
            query=query,
            min_score=-1,
            filters={"document_ids": [shelf["notes"]["id"]]},
        )
    ).json()["hits"]
    assert {hit["document_name"] for hit in only_notes} == {"garden.md"}
    page_two = (
        await search(
            client,
            shelf,
            query=query,
            min_score=-1,
            filters={"media_types": ["application/pdf"], "pages": [2, 2]},
        )
    ).json()["hits"]
    assert [hit["page"] for hit in page_two] == [2]
    assert (await search(client, shelf, query=query, mode="fuzzy")).status_code == 422


async def test_disabled_chunks_are_not_retrieved(
    client: httpx.AsyncClient, shelf: dict[str, Any]
) -> None:
    owner = shelf["tenant"].owner
    hit = (await search(client, shelf, query="How much sun do tomatoes need?")).json()["hits"][0]
    disabled = await client.patch(f"{V1}/chunks/{hit['chunk_id']}?enabled=false", headers=owner)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    again = (await search(client, shelf, query="How much sun do tomatoes need?")).json()["hits"]
    assert hit["chunk_id"] not in {h["chunk_id"] for h in again}
    await client.patch(f"{V1}/chunks/{hit['chunk_id']}?enabled=true", headers=owner)
    back = (await search(client, shelf, query="How much sun do tomatoes need?")).json()["hits"]
    assert back[0]["chunk_id"] == hit["chunk_id"]


async def test_assistant_retrieval_uses_its_knowledge_bases(
    client: httpx.AsyncClient, api: Any, shelf: dict[str, Any]
) -> None:
    owner, tree = shelf["tenant"].owner, shelf["tree"]
    response = await client.post(
        f"{V1}/assistants/{tree.assistant}/retrieve",
        json={"query": "boiler pressure"},
        headers=owner,
    )
    assert response.json()["hits"][0]["document_name"] == "boiler.pdf"
    bare = await api.post(f"{V1}/teammates/{tree.teammate}/assistants", owner, name="No knowledge")
    empty = await client.post(
        f"{V1}/assistants/{bare['id']}/retrieve", json={"query": "boiler pressure"}, headers=owner
    )
    assert empty.status_code == 200 and empty.json()["hits"] == []
    unknown = await search(
        client, shelf, query="x", knowledge_base_ids=["00000000-0000-4000-8000-000000000001"]
    )
    assert unknown.status_code == 404
    viewer = await api.member(shelf["tenant"], "viewer")
    allowed = await client.post(
        f"{V1}/retrieval/test",
        json={"query": "boiler", "knowledge_base_ids": [tree.kb]},
        headers=viewer,
    )
    assert allowed.status_code == 200


async def test_a_different_embedding_model_is_refused(
    client: httpx.AsyncClient, shelf: dict[str, Any], oyl_settings: Any
) -> None:
    # The server now embeds with another model than the knowledge base was built with.
    app = build_app(
        oyl_settings.model_copy(
            update={
                "embedding_provider": "openai",
                "embedding_base_url": "http://127.0.0.1:9/v1",
                "embedding_model": "text-embedding-3-small",
            }
        )
    )
    async with app_client(app) as http:
        response = await http.post(
            f"{V1}/retrieval/test",
            json={"query": "tomatoes", "knowledge_base_ids": [shelf["tree"].kb]},
            headers=shelf["tenant"].owner,
        )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "embedding_model_mismatch"
