"""Recall@k and MRR, with worked examples."""

from __future__ import annotations

import pytest

from oyl.retrieval.evaluation import evaluate, first_relevant_rank


def test_worked_example() -> None:
    rankings = [["a", "b"], ["x", "y", "b"], ["z"]]
    relevant = [{"a"}, {"b"}, {"q"}]
    quality = evaluate(rankings, relevant, k=2)
    assert quality.recall_at_k == pytest.approx(1 / 3)  # only the first is within the top 2
    assert quality.mrr == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert evaluate(rankings, relevant, k=3).recall_at_k == pytest.approx(2 / 3)


def test_first_relevant_rank_and_errors() -> None:
    assert first_relevant_rank(["a", "a", "b"], {"b"}) == 3
    assert first_relevant_rank([], {"b"}) is None
    with pytest.raises(ValueError):
        evaluate([["a"]], [], k=5)
    with pytest.raises(ValueError):
        evaluate([], [], k=5)
