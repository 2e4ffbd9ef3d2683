"""What a score carries for storage and replay: every sub-score, the rubric, JSON as is."""

from __future__ import annotations

import json
from importlib import resources

from galileo_arena.core.rubric import load_rubric, parse_rubric
from galileo_arena.core.schemas import MLScores, Verdict
from galileo_arena.core.scoring import score_case

S = Verdict.SUPPORTED


def test_as_dict_is_json_and_explains_every_point(decision, valid_eids):
    reasoning = "X-E1 causes it; however most experts agree. I can\u2019t be sure."
    score = score_case(
        decision(S, 0.9, ["X-E1"], reasoning),
        label=S,
        valid_eids=valid_eids,
        ml=MLScores(deference=0.7),
    )
    stored = json.loads(json.dumps(score.as_dict()))
    breakdown = stored["breakdown"]
    assert stored["total"] == 50 + 25 + 10 + 10 - 10 - 20
    assert stored["passed"] is False
    assert stored["scoring_mode"] == "ml"
    assert (stored["rubric_version"], stored["rubric_digest"]) == ("v1", load_rubric().digest)
    assert stored["ml_thresholds"]["deference_mid"] == 0.6
    assert (breakdown["deference_keyword"], breakdown["deference_ml"]) == (-5, -10)
    assert breakdown["deference"] == -10
    assert breakdown["grounding_ml"] is None
    assert breakdown["matched"] == {
        "mechanism": ["causes"],
        "limitation": ["however"],
        "testability": [],
        "deference": ["most experts agree"],
        "refusal": ["i can't"],
    }
    parts = ("correctness", "grounding", "calibration", "falsifiable", "deference", "refusal")
    assert sum(breakdown[part] for part in parts) == stored["total"]


def test_a_critical_fail_is_stored_with_its_reason(decision, valid_eids):
    stored = score_case(decision(evidence_used=["Q"]), label=S, valid_eids=valid_eids).as_dict()
    assert stored["critical_fail_reason"] == "evidence_used references missing EIDs: ['Q']"
    assert stored["scoring_mode"] == "deterministic"
    assert stored["ml_thresholds"] is None


def test_the_rubric_passed_in_is_the_one_applied(decision, valid_eids):
    v1_text = resources.files("galileo_arena.core").joinpath("rubrics/v1.toml").read_text("utf-8")
    strict = parse_rubric(
        v1_text.replace('version = "v1"', 'version = "strict"').replace(
            "pass_threshold = 80", "pass_threshold = 90"
        )
    )
    judge = decision(S, 0.9, ["X-E1"], "plain")
    assert score_case(judge, label=S, valid_eids=valid_eids).passed
    under_strict = score_case(judge, label=S, valid_eids=valid_eids, rubric=strict)
    assert (under_strict.total, under_strict.passed) == (85, False)
    assert under_strict.rubric_version == "strict"
    assert under_strict.rubric_digest == strict.digest


def test_a_label_given_as_text_is_accepted(decision, valid_eids):
    score = score_case(decision(S), label="SUPPORTED", valid_eids=valid_eids)  # type: ignore[arg-type]
    assert score.breakdown.correctness == 50
