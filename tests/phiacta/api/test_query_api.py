"""Search (full-text, semantic, hybrid with highlights and filters) and traversal (direction,
types, depth bound, node cap, cycles)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from servicekit.embeddings import create_embedder

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


async def test_search_answers_from_full_text_when_the_embedder_is_down(
    client: httpx.AsyncClient, reader: Headers, fresh_ns: str, make_claim: Factory, runtime: Any
) -> None:
    wanted = await make_claim(fresh_ns, "Octopuses have three hearts")
    # An OpenAI-compatible endpoint nothing listens on: every embedding call fails.
    unreachable = create_embedder(
        "openai", model="text-embedding-3-small", dimensions=384,
        base_url="http://127.0.0.1:9/v1", api_key="sk-unused", timeout=2,
    )  # fmt: skip
    working, runtime.query.embedder = runtime.query.embedder, unreachable
    try:
        for mode in ("hybrid", "semantic"):
            body = await _search(
                client, reader, query="octopuses hearts", mode=mode,
                filters={"namespace_prefix": fresh_ns},
            )  # fmt: skip
            assert [hit["claim"]["id"] for hit in body["results"]] == [wanted["id"]], mode
            assert body["query_embedding_model"] is None
    finally:
        runtime.query.embedder = working
        await unreachable.aclose()


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
    kept = {n["claim"]["id"] for n in capped["nodes"]}
    assert capped["edges"] and all(
        {e["source_id"], e["target_id"]} <= kept for e in capped["edges"]
    )  # no edge leads to a node the cap left out


async def test_traversal_can_float_to_the_latest_versions(
    client: httpx.AsyncClient, reader: Headers, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    a, b1, c = [(await make_claim(fresh_ns, name))["id"] for name in ("a", "b", "c")]
    await _link(client, writer, a, b1, "supports")  # pinned to b's first version
    await _link(client, writer, b1, c, "depends_on")
    patched = await client.patch(f"/v1/claims/{b1}", json={"content": "b, revised"}, headers=writer)
    b2 = patched.json()["id"]

    pinned = (await _traverse(client, reader, start=a, direction="outgoing", max_depth=3)).json()
    assert [(n["claim"]["id"], n["depth"]) for n in pinned["nodes"]] == [(a, 0), (b1, 1), (c, 2)]

    floated = (
        await _traverse(
            client, reader, start=a, direction="outgoing", max_depth=3, float_to_latest=True,
            edge_types=["supports", "depends_on"],
        )
    ).json()  # fmt: skip
    nodes = {n["claim"]["id"]: (n["depth"], n["floated_from"]) for n in floated["nodes"]}
    # b is reported as its latest version, and the walk still follows the old version's edges.
    assert nodes == {a: (0, []), b2: (1, [b1]), c: (2, [])}
    assert {(e["source_id"], e["target_id"]) for e in floated["edges"]} == {(a, b1), (b1, c)}
    assert floated["graph_stats"]["total_nodes"] == 3


async def test_traversal_infers_what_transitive_types_imply(
    client: httpx.AsyncClient, reader: Headers, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    a, b, c = [(await make_claim(fresh_ns, name))["id"] for name in ("a", "b", "c")]
    await _link(client, writer, a, b, "depends_on")
    await _link(client, writer, b, c, "depends_on")
    plain = (await _traverse(client, reader, start=a, direction="outgoing")).json()
    assert not any(e["inferred"] for e in plain["edges"])
    body = (
        await _traverse(client, reader, start=a, direction="outgoing", infer_transitive=True)
    ).json()
    (implied,) = [e for e in body["edges"] if e["inferred"]]
    assert (implied["source_id"], implied["target_id"], implied["edge_type"]) == (
        a, c, "depends_on",
    )  # fmt: skip
    assert implied["path"] == [a, b, c] and implied["id"] is None
    assert body["graph_stats"]["total_edges"] == 2  # stored edges only


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
