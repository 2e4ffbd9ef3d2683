"""Confidence models over reviews, with worked examples."""

from __future__ import annotations

import pytest

from phiacta.confidence.aggregation import (
    EvidenceInput,
    ReviewInput,
    confidence,
    distribution,
    truth_probability,
)
from phiacta.evidence.summary import summarize

ENDORSE = ReviewInput("endorse", 0.9, trust=2.0, reviewer_type="human")
DISPUTE = ReviewInput("dispute", 0.7, trust=1.0, reviewer_type="ai")
REVISE = ReviewInput("request_revision", 0.5)


def test_verdicts_map_to_a_probability_of_truth() -> None:
    assert truth_probability(ENDORSE) == 0.9
    assert truth_probability(DISPUTE) == pytest.approx(0.3)
    assert truth_probability(ReviewInput("retract", 1.0)) == 0.0
    assert truth_probability(REVISE) is None


def test_models_on_a_worked_example() -> None:
    reviews = [ENDORSE, DISPUTE, REVISE]
    assert confidence("simple_average", reviews).score == pytest.approx(0.6)
    assert confidence("weighted_reviewer", reviews).score == pytest.approx((1.8 + 0.3) / 3)
    bayes = confidence("bayesian", reviews)
    # alpha = 1 + 2*0.9 + 0.3 = 3.1, beta = 1 + 2*0.1 + 0.7 = 1.9
    assert bayes.score == pytest.approx(3.1 / 5.0)
    assert 0 <= bayes.lower_bound < bayes.score < bayes.upper_bound <= 1  # type: ignore[operator]
    assert bayes.reviews_considered == 3


def test_no_reviews_means_no_score() -> None:
    result = confidence("weighted_reviewer", [])
    assert (result.score, result.lower_bound, result.upper_bound) == (None, None, None)


def test_evidence_chain_mixes_direct_and_propagated() -> None:
    evidence = [EvidenceInput(0.8, supports=True), EvidenceInput(0.6, supports=False)]
    mixed = confidence("evidence_chain", [ENDORSE], evidence)
    assert mixed.evidence_based == pytest.approx(0.6)  # mean(0.8, 1 - 0.6)
    assert mixed.score == pytest.approx(0.7 * 0.9 + 0.3 * 0.6)
    only_evidence = confidence("evidence_chain", [], evidence)
    assert only_evidence.score == pytest.approx(0.6)


def test_distribution_buckets_include_one_in_the_last() -> None:
    spread = distribution([ReviewInput("endorse", 1.0), ENDORSE, DISPUTE, REVISE])
    assert [count for _, _, count in spread.buckets] == [0, 1, 0, 0, 2]
    assert spread.median == pytest.approx(0.9)
    assert spread.by_reviewer_type["ai"] == (pytest.approx(0.3), 1)


def test_net_support() -> None:
    summary = summarize([("supports", None, 1), ("contradicts", 0.5, 1), ("corroborates", 1.0, 2)])
    assert (summary.total_supporting, summary.total_contradicting) == (1, 1)
    assert summary.net_support == pytest.approx((1 + 0.5 - 0.5) / 2.0)
    assert summarize([]).net_support is None
