"""The deferred vector index: a claim is found by semantic search and by the near-duplicate
check from the moment its bundle commits, before and after the indexer moves it into the HNSW
graph; and indexers running at once share the work without losing or repeating a claim.

The app's own indexer loop is off here, so the tests decide when claims move.
``VECTOR_FRESH_MAX`` is small, to see a bundle graph its own claims when too many wait.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from phiacta.vectors import repository as vector_repository
from phiacta.vectors.service import VectorIndexer

Headers = dict[str, str]
HEARTS = "How many hearts does an octopus have?"
FRESH_MAX = 150


@pytest.fixture(scope="module")
def settings_overrides() -> dict[str, Any]:
    return {"vector_indexing": False, "vector_fresh_max": FRESH_MAX}


@pytest.fixture(scope="module")
async def extension(make_agent: Any) -> Headers:
    _, headers = await make_agent(["bundles:write", "claims:read", "search:read"], "ext-vectors")
    return headers


def _bundle(ns: str, contents: list[str]) -> dict[str, Any]:
    return {
        "idempotency_key": f"key-{uuid.uuid4().hex}",
        "namespace": ns,
        "claims": [
            {"temp_id": f"c{i}", "content": content, "claim_type": "assertion"}
            for i, content in enumerate(contents)
        ],
    }


async def _submit(client: httpx.AsyncClient, headers: Headers, body: dict[str, Any]) -> Any:
    response = await client.post("/v1/bundles", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _one_claim(client: httpx.AsyncClient, headers: Headers, ns: str, content: str) -> str:
    answer = await _submit(client, headers, _bundle(ns, [content]))
    return str(answer["created_claims"][0]["id"])


async def _indexed(runtime: Any, ids: list[str]) -> dict[str, bool]:
    async with runtime.db.session() as session:
        rows = await session.execute(
            text(
                "SELECT id::text, vector_indexed FROM claims WHERE id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": ids},
        )
        return dict(rows.all())


async def _found_by_search(
    client: httpx.AsyncClient, headers: Headers, ns: str, query: str
) -> list[str]:
    response = await client.post(
        "/v1/query/search",
        json={
            "query": query,
            "mode": "semantic",
            "min_similarity": 0.5,
            "filters": {"namespace_prefix": ns},
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return [hit["claim"]["id"] for hit in response.json()["results"]]


async def _duplicate_of(
    client: httpx.AsyncClient, headers: Headers, ns: str, content: str
) -> list[str]:
    answer = await _submit(client, headers, _bundle(ns, [content]))
    return [w["similar_claim_id"] for w in answer["warnings"] if w["type"] == "potential_duplicate"]


async def test_a_claim_is_found_before_and_after_the_indexer_moves_it(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    made = await _submit(
        client,
        extension,
        _bundle(fresh_ns, ["Octopuses have three hearts and blue blood", "Basalt is volcanic"]),
    )
    octopus = made["created_claims"][0]["id"]
    assert await _indexed(runtime, [octopus]) == {octopus: False}

    # Fresh: not in the graph, yet found by search and by the near-duplicate check.
    found = await _found_by_search(client, extension, fresh_ns, HEARTS)
    assert found[0] == octopus
    assert await _duplicate_of(
        client, extension, fresh_ns, "Octopuses have three hearts and blue blood."
    ) == [octopus]

    moved = await runtime.vectors.drain()
    assert moved >= 3  # the two claims above and the near-duplicate submitted since
    assert await _indexed(runtime, [octopus]) == {octopus: True}
    assert await runtime.vectors.pending() == 0

    # Indexed: found through the graph, the same way.
    found = await _found_by_search(client, extension, fresh_ns, HEARTS)
    assert found[0] == octopus
    assert octopus in await _duplicate_of(
        client, extension, fresh_ns, "Octopuses have three hearts and blue blood!"
    )


async def test_fresh_and_indexed_claims_are_ranked_together(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    old = await _one_claim(
        client, extension, fresh_ns, "Honey bees dance to show where flowers are"
    )
    await runtime.vectors.drain()
    new = await _one_claim(
        client, extension, fresh_ns, "Bees perform a waggle dance to point to food"
    )
    assert await _indexed(runtime, [old, new]) == {old: True, new: False}
    found = await _found_by_search(client, extension, fresh_ns, "waggle dance of bees")
    assert found[:2] == [new, old]  # one list, by similarity, whichever side each came from


async def test_concurrent_indexers_move_every_claim_exactly_once(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    await runtime.vectors.drain()
    ids: list[str] = []
    for batch in range(3):
        answer = await _submit(
            client,
            extension,
            _bundle(fresh_ns, [f"Measurement {batch}-{i} of the sample's mass" for i in range(40)]),
        )
        ids += [c["id"] for c in answer["created_claims"]]
    assert await runtime.vectors.pending() == len(ids)

    # One indexer holds a batch (its transaction still open) while another drains: the
    # second skips the held claims instead of waiting for them or moving them again.
    async with runtime.db.session() as session:
        held = await vector_repository.index_batch(session, 50)
        others = await VectorIndexer(runtime.db, batch=11).drain()
    assert (held, others) == (50, len(ids) - 50)
    assert await runtime.vectors.pending() == 0

    # And racing freely over a fresh set, two indexers move each claim exactly once.
    more = await _submit(
        client, extension, _bundle(fresh_ns, [f"Reading {i} of the gauge" for i in range(60)])
    )
    ids += [c["id"] for c in more["created_claims"]]
    moved = await asyncio.gather(
        VectorIndexer(runtime.db, batch=7).drain(), VectorIndexer(runtime.db, batch=5).drain()
    )
    assert sum(moved) == 60
    assert set((await _indexed(runtime, ids)).values()) == {True}

    # Every moved vector is in the graph: a search that can only use the graph, by the
    # claim's own vector, finds the claim itself.
    async with runtime.db.session() as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        await session.execute(text("SET LOCAL hnsw.ef_search = 100"))
        for claim_id in ids:
            nearest = await session.scalar(
                text(
                    "SELECT c.id::text FROM claims c WHERE c.vector_indexed ORDER BY "
                    "c.embedding::halfvec(384) <=> (SELECT embedding::halfvec(384) FROM claims "
                    "WHERE id = CAST(:id AS uuid)) LIMIT 1"
                ),
                {"id": claim_id},
            )
            assert nearest == claim_id


async def test_past_the_fresh_limit_a_bundle_graphs_its_own_claims(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    await runtime.vectors.drain()
    waiting = await _submit(
        client, extension, _bundle(fresh_ns, [f"Tide table entry {i}" for i in range(100)])
    )
    # 100 wait; 100 more would pass the limit of 150, so this bundle graphs its own.
    graphed = await _submit(
        client, extension, _bundle(fresh_ns, [f"Star catalogue entry {i}" for i in range(100)])
    )
    first = [c["id"] for c in waiting["created_claims"]]
    second = [c["id"] for c in graphed["created_claims"]]
    assert set((await _indexed(runtime, first)).values()) == {False}
    assert set((await _indexed(runtime, second)).values()) == {True}
    assert await runtime.vectors.pending() == 100
    found = await _found_by_search(client, extension, fresh_ns, "Star catalogue entry 42")
    assert second[42] in found[:5]


async def test_a_stopping_indexer_ends_between_batches(
    client: httpx.AsyncClient, extension: Headers, fresh_ns: str, runtime: Any
) -> None:
    await runtime.vectors.drain()
    await _submit(client, extension, _bundle(fresh_ns, ["Lichens are fungi living with algae"]))
    stop = asyncio.Event()
    stop.set()  # the app is shutting down: no new batch starts
    assert await runtime.vectors.drain(stop) == 0
    assert await runtime.vectors.pending() == 1
    assert await runtime.vectors.drain(asyncio.Event()) == 1
