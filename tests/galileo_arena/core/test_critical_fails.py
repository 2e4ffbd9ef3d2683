"""Critical fails: score 0, fail, say why, and ignore everything else including ML."""

from __future__ import annotations

import math

import pytest

from galileo_arena.core.schemas import JudgeDecision, MLScores, Verdict
from galileo_arena.core.scoring import ScoreBreakdown, ScoringMode, score_case
from galileo_arena.core.validation import critical_fail_reason

S = Verdict.SUPPORTED
ALL_HIGH_ML = MLScores(0.9, 0.9, 0.9, 0.9, 0.9, 0.9)


def _bypassing_validation(**fields: object) -> JudgeDecision:
    values: dict[str, object] = {
        "verdict": S,
        "confidence": 0.9,
        "evidence_used": ["X-E1"],
        "reasoning": "plain",
    }
    values.update(fields)
    return JudgeDecision.model_construct(**values)


def test_a_missing_judge_names_the_error(valid_eids):
    score = score_case(None, label=S, valid_eids=valid_eids, judge_error="missing field 'verdict'")
    assert score.critical_fail_reason == "judge output invalid: missing field 'verdict'"
    assert (score.total, score.passed) == (0, False)


def test_a_missing_judge_without_an_error_still_says_why(valid_eids):
    reason = critical_fail_reason(None, valid_eids=valid_eids)
    assert reason == "judge output invalid: no decision was produced"


def test_every_missing_eid_is_named_sorted_and_once(decision, valid_eids):
    judge = decision(evidence_used=["X-E9", "X-E1", "A-E3", "X-E9"])
    score = score_case(judge, label=S, valid_eids=valid_eids)
    assert score.critical_fail_reason == "evidence_used references missing EIDs: ['A-E3', 'X-E9']"


def test_one_bad_citation_among_good_ones_is_still_critical(decision, valid_eids):
    score = score_case(
        decision(evidence_used=["X-E1", "X-E2", "X-E3"]), label=S, valid_eids=valid_eids
    )
    assert score.total == 0
    assert "X-E3" in (score.critical_fail_reason or "")


def test_eids_are_compared_exactly(decision, valid_eids):
    # Normalising the judge's citations is the debate's job; the scorer trusts nothing.
    score = score_case(decision(evidence_used=["x-e1"]), label=S, valid_eids=valid_eids)
    assert score.critical_fail_reason == "evidence_used references missing EIDs: ['x-e1']"


@pytest.mark.parametrize("confidence", [-0.01, 1.01, 85, math.nan, math.inf])
def test_confidence_outside_the_unit_interval_is_critical(confidence, valid_eids):
    score = score_case(_bypassing_validation(confidence=confidence), label=S, valid_eids=valid_eids)
    assert score.critical_fail_reason == f"confidence {confidence!r} is outside [0, 1]"
    assert score.total == 0


@pytest.mark.parametrize("confidence", [None, "0.9", True])
def test_a_confidence_that_is_not_a_number_is_critical(confidence, valid_eids):
    reason = critical_fail_reason(
        _bypassing_validation(confidence=confidence), valid_eids=valid_eids
    )
    assert reason == f"confidence {confidence!r} is not a number"


@pytest.mark.parametrize("verdict", ["MAYBE", "supported", None, 1])
def test_a_verdict_outside_the_enum_is_critical(verdict, valid_eids):
    reason = critical_fail_reason(_bypassing_validation(verdict=verdict), valid_eids=valid_eids)
    assert reason == (
        f"judge output invalid: verdict {verdict!r} is not one of SUPPORTED, REFUTED, INSUFFICIENT"
    )


def test_a_plain_string_verdict_of_the_enum_is_accepted(valid_eids):
    judge = _bypassing_validation(verdict="SUPPORTED")
    assert critical_fail_reason(judge, valid_eids=valid_eids) is None
    assert score_case(judge, label=S, valid_eids=valid_eids).breakdown.correctness == 50


def test_missing_fields_are_critical(valid_eids):
    no_evidence = JudgeDecision.model_construct(verdict=S, confidence=0.9, reasoning="x")
    no_reasoning = JudgeDecision.model_construct(verdict=S, confidence=0.9, evidence_used=[])
    assert critical_fail_reason(no_evidence, valid_eids=valid_eids) == (
        "judge output invalid: evidence_used is not a list of evidence IDs"
    )
    assert critical_fail_reason(no_reasoning, valid_eids=valid_eids) == (
        "judge output invalid: reasoning is not text"
    )


@pytest.mark.parametrize("confidence", [0.0, 1.0])
def test_confidence_bounds_are_valid(confidence, decision, valid_eids):
    assert critical_fail_reason(decision(confidence=confidence), valid_eids=valid_eids) is None


def test_no_citation_at_all_is_not_critical(decision, valid_eids):
    assert critical_fail_reason(decision(evidence_used=[]), valid_eids=valid_eids) is None


def test_a_critical_fail_ignores_ml_and_has_an_all_zero_breakdown(decision, valid_eids):
    score = score_case(
        decision(evidence_used=["X-E9"]), label=S, valid_eids=valid_eids, ml=ALL_HIGH_ML
    )
    assert score.total == 0
    assert score.breakdown == ScoreBreakdown()
    assert score.scoring_mode is ScoringMode.DETERMINISTIC
    assert score.ml_thresholds is None
