"""Reciprocal Rank Fusion, the full-text query split and transitive inference, with worked
examples."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from phiacta.query.fusion import reciprocal_rank_fusion
from phiacta.query.inference import inferred_edges
from phiacta.query.tsquery import split_query


def test_rrf_rewards_agreement_between_lists() -> None:
    fused = reciprocal_rank_fusion({"semantic": ["a", "b", "c"], "fulltext": ["b", "d"]})
    assert [entry.item for entry in fused] == ["b", "a", "d", "c"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    assert fused[0].ranks == {"semantic": 2, "fulltext": 1}
    assert reciprocal_rank_fusion({"semantic": [], "fulltext": []}) == []


def test_query_split_keeps_only_words() -> None:
    assert split_query("vaccine effic") == ("vaccine", "effic:*")
    assert split_query("it's & | ! (x") == ("it s", "x:*")
    assert split_query("!!!") == ("!!!", None)


def _ids(count: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=n) for n in range(count)]


@dataclass(frozen=True)
class _Edge:
    source_id: uuid.UUID
    target_id: uuid.UUID
    edge_type: str


def test_transitive_chains_through_the_start_are_inferred_with_their_path() -> None:
    a, b, c, d, e = _ids(5)
    edges = [
        _Edge(a, b, "depends_on"),
        _Edge(b, c, "depends_on"),
        _Edge(c, d, "depends_on"),
        _Edge(a, d, "depends_on"),  # stated: not inferred again
        _Edge(e, a, "depends_on"),
        _Edge(b, e, "supports"),  # not transitive: no chain
    ]
    found = inferred_edges(
        a, edges, transitive={"depends_on"}, symmetric=set(), direction="outgoing"
    )
    assert [(x.source_id, x.target_id, x.path) for x in found] == [(a, c, [a, b, c])]
    both = inferred_edges(a, edges, transitive={"depends_on"}, symmetric=set(), direction="both")
    assert {(x.source_id, x.target_id) for x in both} == {(a, c)}  # e -> a is one link only
    upstream = [_Edge(d, e, "depends_on"), _Edge(e, a, "depends_on")]  # d depends on a
    into = inferred_edges(
        a, upstream, transitive={"depends_on"}, symmetric=set(), direction="incoming"
    )
    assert [(x.source_id, x.target_id, x.path) for x in into] == [(d, a, [d, e, a])]


def test_mixed_orientations_imply_nothing_but_symmetric_types_chain_either_way() -> None:
    a, b, c = _ids(3)
    against = [_Edge(a, b, "part_of"), _Edge(c, b, "part_of")]  # a -> b <- c
    assert not inferred_edges(a, against, transitive={"part_of"}, symmetric=set(), direction="both")
    same = [_Edge(a, b, "equivalent_to"), _Edge(c, b, "equivalent_to")]
    (found,) = inferred_edges(
        a, same, transitive={"equivalent_to"}, symmetric={"equivalent_to"}, direction="outgoing"
    )
    assert (found.source_id, found.target_id, found.path) == (a, c, [a, b, c])


def test_chains_end_on_cycles() -> None:
    a, b, c = _ids(3)
    cycle = [_Edge(a, b, "implies"), _Edge(b, c, "implies"), _Edge(c, a, "implies")]
    found = inferred_edges(a, cycle, transitive={"implies"}, symmetric=set(), direction="both")
    assert {(x.source_id, x.target_id) for x in found} == {(a, c), (b, a)}
