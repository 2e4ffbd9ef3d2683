"""Search (full-text, semantic, hybrid with highlights and filters) and traversal (direction,
types, depth bound, node cap, cycles)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="module")
async def reader(make_agent: Factory) -> Headers:
    _, headers = await make_agent(["search:read", "claims:read"], "searcher")
    return headers


async def _search(client: httpx.AsyncClient, headers: Headers, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/query/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_search_modes(
    client: httpx.AsyncClient, reader: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    felines = await make_claim(fresh_ns, "Domestic cats sleep for most of the day")
    await make_claim(fresh_ns, "Glaciers retreat as global temperatures rise")
    await make_claim(fresh_ns, "Photosynthesis converts light into chemical energy")
    scoped = {"namespace_prefix": fresh_ns}

    text = await _search(client, reader, query="cats slee", mode="fulltext", filters=scoped)
    assert [hit["claim"]["id"] for hit in text["results"]] == [felines["id"]]  # prefix match
    assert text["query_embedding_model"] is None

    semantic = await _search(
        client, reader, query="How much do kittens nap?", mode="semantic", filters=scoped,
        min_similarity=0.3,
    )  # fmt: skip
    assert semantic["results"][0]["claim"]["id"] == felines["id"]
    assert semantic["results"][0]["similarity"] > 0.3
    assert semantic["query_embedding_model"] == "all-MiniLM-L6-v2"

    hybrid = await _search(
        client, reader, query="cats", filters=scoped, highlight=True, min_similarity=0.2
    )
    top = hybrid["results"][0]
    assert top["claim"]["id"] == felines["id"]
    assert set(top["ranks"]) == {"semantic", "fulltext"}
    assert "<em>cats</em>" in top["highlight"]


async def test_search_filters_and_retraction(
    client: httpx.AsyncClient, reader: Headers, admin: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    kept = await make_claim(fresh_ns, "Quasars are powered by black holes", claim_type="theorem")
    gone = await make_claim(fresh_ns, "Quasars are powered by magic")
    await client.delete(f"/v1/claims/{gone['id']}", headers=admin)
    found = await _search(
        client, reader, query="quasars", mode="fulltext", filters={"namespace_prefix": fresh_ns}
    )
    assert [hit["claim"]["id"] for hit in found["results"]] == [kept["id"]]
    typed = await _search(
        client, reader, query="quasars", mode="fulltext",
        filters={"namespace_prefix": fresh_ns, "claim_types": ["assertion"],
                 "exclude_retracted": False},
    )  # fmt: skip
    assert [hit["claim"]["id"] for hit in typed["results"]] == [gone["id"]]


async def _link(client: httpx.AsyncClient, headers: Headers, a: str, b: str, kind: str) -> None:
    response = await client.post(
        "/v1/edges", json={"source_id": a, "target_id": b, "edge_type": kind}, headers=headers
    )
    assert response.status_code == 201, response.text


async def _traverse(client: httpx.AsyncClient, headers: Headers, **body: Any) -> httpx.Response:
    return await client.post("/v1/query/traverse", json=body, headers=headers)


async def test_traversal_on_a_cyclic_graph(
    client: httpx.AsyncClient, reader: Headers, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    a, b, c, d = [(await make_claim(fresh_ns, name))["id"] for name in "abcd"]
    await _link(client, writer, a, b, "supports")
    await _link(client, writer, b, c, "supports")
    await _link(client, writer, c, a, "supports")  # a cycle
    await _link(client, writer, c, d, "related_to")

    everything = (await _traverse(client, reader, start=a, max_depth=5)).json()
    depths = {node["claim"]["id"]: node["depth"] for node in everything["nodes"]}
    assert depths == {a: 0, b: 1, c: 1, d: 2}
    assert everything["graph_stats"] == {
        "total_nodes": 4, "total_edges": 4, "max_depth_reached": 2, "truncated": False,
    }  # fmt: skip

    forward = (await _traverse(client, reader, start=a, direction="outgoing", max_depth=5)).json()
    assert {n["claim"]["id"]: n["depth"] for n in forward["nodes"]} == {a: 0, b: 1, c: 2, d: 3}

    # related_to is symmetric: reachable against the requested direction.
    back = (await _traverse(client, reader, start=d, direction="outgoing", max_depth=1)).json()
    assert {n["claim"]["id"] for n in back["nodes"]} == {d, c}

    typed = (await _traverse(client, reader, start=a, edge_types=["related_to"])).json()
    assert [n["claim"]["id"] for n in typed["nodes"]] == [a]

    capped = (await _traverse(client, reader, start=a, max_depth=5, max_nodes=2)).json()
    assert capped["graph_stats"]["truncated"] and capped["graph_stats"]["total_nodes"] == 2


async def test_traversal_limits(
    client: httpx.AsyncClient, reader: Headers, runtime: Any, fresh_ns: str, make_claim: Factory
) -> None:
    a = (await make_claim(fresh_ns, "alone"))["id"]
    too_deep = await _traverse(
        client, reader, start=a, max_depth=runtime.settings.max_traversal_depth + 1
    )
    assert too_deep.status_code == 422
    assert too_deep.json()["error"]["details"][0]["field"] == "max_depth"
    missing = await _traverse(client, reader, start="00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "CLAIM_NOT_FOUND"
