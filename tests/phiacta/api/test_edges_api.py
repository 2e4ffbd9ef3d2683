"""Edges under the edge-type registry's rules: anti-reflexive, acyclic, symmetric, unique."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


async def _edge(
    client: httpx.AsyncClient,
    headers: Headers,
    source: str,
    target: str,
    edge_type: str,
    **extra: Any,
) -> httpx.Response:
    body = {"source_id": source, "target_id": target, "edge_type": edge_type, **extra}
    return await client.post("/v1/edges", json=body, headers=headers)


async def test_the_registry_has_the_15_seeded_types(
    client: httpx.AsyncClient, admin: Headers
) -> None:
    types = {t["name"]: t for t in (await client.get("/v1/edge-types", headers=admin)).json()}
    assert len(types) == 15
    assert types["contradicts"]["is_symmetric"] and not types["contradicts"]["is_transitive"]
    assert types["depends_on"]["is_transitive"] and types["depends_on"]["is_acyclic"]
    assert types["supports"]["inverse_name"] == "supported_by"
    assert all(t["is_anti_reflexive"] for t in types.values())


async def test_create_list_and_delete_an_edge(
    client: httpx.AsyncClient, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    a, b = await make_claim(fresh_ns, "evidence"), await make_claim(fresh_ns, "hypothesis")
    created = await _edge(client, writer, a["id"], b["id"], "supports", strength=0.8)
    assert created.status_code == 201, created.text
    edge = created.json()
    assert edge["strength"] == 0.8
    outgoing = await client.get(
        "/v1/edges", params={"claim_id": a["id"], "direction": "outgoing"}, headers=writer
    )
    assert [e["id"] for e in outgoing.json()["edges"]] == [edge["id"]]
    incoming = await client.get(
        "/v1/edges", params={"claim_id": a["id"], "direction": "incoming"}, headers=writer
    )
    assert incoming.json()["edges"] == []
    assert (await client.delete(f"/v1/edges/{edge['id']}", headers=writer)).status_code == 204
    assert (await client.get(f"/v1/edges/{edge['id']}", headers=writer)).status_code == 404


async def test_self_loops_and_unknown_types_are_422(
    client: httpx.AsyncClient, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    a = await make_claim(fresh_ns, "self")
    loop = await _edge(client, writer, a["id"], a["id"], "equivalent_to")
    assert loop.status_code == 422
    assert loop.json()["error"]["details"][0]["code"] == "ANTI_REFLEXIVE"
    unknown = await _edge(client, writer, a["id"], a["id"], "explains")
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "EDGE_TYPE_UNKNOWN"
    ghost = await _edge(client, writer, a["id"], "00000000-0000-0000-0000-000000000001", "supports")
    assert ghost.status_code == 422
    assert ghost.json()["error"]["details"][0]["field"] == "target_id"


async def test_acyclic_types_refuse_a_cycle_but_implies_may_cycle(
    client: httpx.AsyncClient, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    a, b, c = [await make_claim(fresh_ns, name) for name in ("lemma a", "lemma b", "lemma c")]
    assert (await _edge(client, writer, a["id"], b["id"], "depends_on")).status_code == 201
    assert (await _edge(client, writer, b["id"], c["id"], "depends_on")).status_code == 201
    cycle = await _edge(client, writer, c["id"], a["id"], "depends_on")
    assert cycle.status_code == 422
    assert cycle.json()["error"]["details"][0]["code"] == "CYCLE"
    # Another type does not see depends_on edges; implies is not acyclic.
    assert (await _edge(client, writer, c["id"], a["id"], "supports")).status_code == 201
    assert (await _edge(client, writer, a["id"], b["id"], "implies")).status_code == 201
    assert (await _edge(client, writer, b["id"], a["id"], "implies")).status_code == 201


async def test_duplicates_and_reversed_symmetric_edges_conflict(
    client: httpx.AsyncClient, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    a, b = await make_claim(fresh_ns, "x is 1"), await make_claim(fresh_ns, "x is 2")
    assert (await _edge(client, writer, a["id"], b["id"], "contradicts")).status_code == 201
    again = await _edge(client, writer, a["id"], b["id"], "contradicts")
    assert again.status_code == 409 and again.json()["error"]["code"] == "CONFLICT"
    reversed_ = await _edge(client, writer, b["id"], a["id"], "contradicts")
    assert reversed_.status_code == 409
    assert (await _edge(client, writer, b["id"], a["id"], "responds_to")).status_code == 201


async def test_only_the_creator_or_claims_write_deletes(
    client: httpx.AsyncClient,
    make_agent: Factory,
    writer: Headers,
    fresh_ns: str,
    make_claim: Factory,
) -> None:
    _, bundler = await make_agent(["bundles:write", "claims:read"])
    _, other = await make_agent(["bundles:write", "claims:read"])
    a, b = await make_claim(fresh_ns, "p"), await make_claim(fresh_ns, "q")
    edge = (await _edge(client, bundler, a["id"], b["id"], "related_to")).json()
    assert (await client.delete(f"/v1/edges/{edge['id']}", headers=other)).status_code == 403
    assert (await client.delete(f"/v1/edges/{edge['id']}", headers=writer)).status_code == 204


async def test_edges_pinned_to_a_superseded_version_are_listed_as_stale(
    client: httpx.AsyncClient, writer: Headers, fresh_ns: str, make_claim: Factory
) -> None:
    a, b = await make_claim(fresh_ns, "evidence"), await make_claim(fresh_ns, "hypothesis")
    pinned = (await _edge(client, writer, a["id"], b["id"], "supports")).json()
    fresh = (await _edge(client, writer, b["id"], a["id"], "responds_to")).json()
    stale = {"claim_id": a["id"], "stale": "true"}
    assert (await client.get("/v1/edges", params=stale, headers=writer)).json()["edges"] == []
    revised = await client.patch(f"/v1/claims/{b['id']}", json={"content": "v2"}, headers=writer)
    assert revised.status_code == 200
    listed = (await client.get("/v1/edges", params=stale, headers=writer)).json()["edges"]
    # The edge into b's first version stays pinned and is now to be re-asserted; the edge from
    # it into the live claim a is not stale.
    assert [edge["id"] for edge in listed] == [pinned["id"]]
    assert fresh["id"] not in {edge["id"] for edge in listed}
