"""Reciprocal rank fusion, with worked examples."""

from __future__ import annotations

import pytest

from oyl.retrieval.fusion import reciprocal_rank_fusion


def test_worked_example() -> None:
    fused = reciprocal_rank_fusion({"dense": ["a", "b", "c"], "lexical": ["c", "a", "d"]}, k=60)
    scores = {item.key: round(item.score, 6) for item in fused}
    assert scores == {
        "a": round(1 / 61 + 1 / 62, 6),
        "c": round(1 / 63 + 1 / 61, 6),
        "b": round(1 / 62, 6),
        "d": round(1 / 63, 6),
    }
    assert [item.key for item in fused] == ["a", "c", "b", "d"]
    assert fused[0].ranks == {"dense": 1, "lexical": 2}
    assert fused[3].ranks == {"lexical": 3}


def test_ties_keep_the_best_single_rank_first() -> None:
    fused = reciprocal_rank_fusion({"one": ["x", "y"], "two": ["y", "x"]})
    assert fused[0].score == fused[1].score
    assert [item.key for item in fused] == ["x", "y"]  # first seen at rank 1


def test_weights_and_empty_lists() -> None:
    assert reciprocal_rank_fusion({}) == []
    fused = reciprocal_rank_fusion({"a": ["p"], "b": ["q"]}, weights={"b": 2.0})
    assert [item.key for item in fused] == ["q", "p"]


def test_duplicates_and_bad_k_are_refused() -> None:
    with pytest.raises(ValueError):
        reciprocal_rank_fusion({"a": ["x", "x"]})
    with pytest.raises(ValueError):
        reciprocal_rank_fusion({"a": ["x"]}, k=0)
