"""Reciprocal Rank Fusion and the full-text query split, with worked examples."""

from __future__ import annotations

import pytest

from phiacta.query.fusion import reciprocal_rank_fusion
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
