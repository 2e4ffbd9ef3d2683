"""Comparing two runs: per-case deltas and flips, totals, and warnings about unlike scoring."""

from __future__ import annotations

import json

import pytest

from galileo_arena.core.compare import PassFlip, RunView, compare_runs, evidence_overlap
from galileo_arena.core.schemas import Verdict

S, R = Verdict.SUPPORTED, Verdict.REFUTED


def _run(run_id, *results, scoring_mode="deterministic", rubric_version="v1"):
    return RunView(
        run_id=run_id,
        scoring_mode=scoring_mode,
        rubric_version=rubric_version,
        results=tuple(results),
    )


def test_a_regression_an_improvement_and_an_unchanged_case(record):
    before = _run(
        "A",
        record("C1", score=90, evidence_used=("E1",)),
        record("C2", score=40, passed=False, verdict=R),
        record("C3", score=85, evidence_used=("E1", "E2")),
    )
    after = _run(
        "B",
        record("C1", score=60, passed=False, evidence_used=("E1",)),
        record("C2", score=95),
        record("C3", score=80, evidence_used=("E2", "E3")),
    )
    comparison = compare_runs(before, after)
    by_case = {case.case_id: case for case in comparison.cases}
    assert by_case["C1"].pass_flip is PassFlip.REGRESSION
    assert by_case["C1"].score_delta == -30
    assert by_case["C2"].pass_flip is PassFlip.IMPROVEMENT
    assert by_case["C2"].verdict_changed
    assert by_case["C3"].pass_flip is PassFlip.NONE
    assert not by_case["C3"].verdict_changed
    assert by_case["C3"].evidence_overlap == pytest.approx(0.3333)
    assert (comparison.regressions, comparison.improvements, comparison.unchanged) == (1, 1, 1)
    assert comparison.avg_score_delta == round((-30 + 55 - 5) / 3, 2)
    assert comparison.has_regression


def test_keys_present_in_one_run_only_are_listed_not_compared(record):
    before = _run("A", record("C1"), record("C2"))
    after = _run("B", record("C2"), record("C3"), record("C2", model_key="scripted/b"))
    comparison = compare_runs(before, after)
    assert [case.case_id for case in comparison.cases] == ["C2"]
    assert [key.as_dict() for key in comparison.only_in_a] == [
        {"case_id": "C1", "model_key": "scripted/a"}
    ]
    assert [(key.case_id, key.model_key) for key in comparison.only_in_b] == [
        ("C2", "scripted/b"),
        ("C3", "scripted/a"),
    ]


def test_a_model_filter_compares_that_model_only(record):
    before = _run("A", record("C1"), record("C1", model_key="scripted/b", score=90))
    after = _run("B", record("C1", score=50, passed=False), record("C1", model_key="scripted/b"))
    comparison = compare_runs(before, after, model_key="scripted/b")
    assert [(case.model_key, case.score_delta) for case in comparison.cases] == [("scripted/b", 0)]
    assert not comparison.has_regression
    assert comparison.only_in_a == comparison.only_in_b == ()


def test_errored_pairs_are_set_apart_from_the_totals(record):
    before = _run("A", record("C1"), record("C2"))
    after = _run("B", record("C1", errored=True, verdict=None, score=0, passed=False), record("C2"))
    comparison = compare_runs(before, after)
    assert [key.case_id for key in comparison.errored] == ["C1"]
    assert [case.case_id for case in comparison.cases] == ["C2"]
    assert not comparison.has_regression


def test_nothing_in_common_gives_no_average(record):
    comparison = compare_runs(_run("A", record("C1")), _run("B", record("C2")))
    assert comparison.cases == ()
    assert comparison.avg_score_delta is None
    assert (comparison.regressions, comparison.improvements, comparison.unchanged) == (0, 0, 0)


def test_the_last_record_of_a_key_stands_for_it(record):
    before = _run("A", record("C1", score=10, passed=False), record("C1", score=90))
    comparison = compare_runs(before, _run("B", record("C1", score=90)))
    assert comparison.cases[0].score_delta == 0


@pytest.mark.parametrize(
    ("cited_a", "cited_b", "expected"),
    [
        ((), (), 1.0),
        (("E1",), (), 0.0),
        (("E1", "E2"), ("E2", "E1"), 1.0),
        (("E1", "E2"), ("E2", "E3"), 0.3333),
        (("E1", "E1"), ("E1",), 1.0),
    ],
)
def test_evidence_overlap_is_jaccard(cited_a, cited_b, expected):
    assert evidence_overlap(cited_a, cited_b) == expected


def test_runs_scored_alike_carry_no_warning(record):
    comparison = compare_runs(_run("A", record("C1")), _run("B", record("C1")))
    assert not comparison.scoring_mode_mismatch
    assert not comparison.rubric_version_mismatch
    assert comparison.warning is None


def test_a_scoring_mode_mismatch_is_flagged_and_explained(record):
    comparison = compare_runs(_run("A", record("C1")), _run("B", record("C1"), scoring_mode="ml"))
    assert comparison.scoring_mode_mismatch
    assert not comparison.rubric_version_mismatch
    assert comparison.warning is not None
    assert "'deterministic' vs 'ml'" in comparison.warning
    assert "A" in comparison.warning and "B" in comparison.warning


def test_a_rubric_version_mismatch_is_flagged_and_explained(record):
    comparison = compare_runs(_run("A", record("C1")), _run("B", record("C1"), rubric_version="v2"))
    assert comparison.rubric_version_mismatch
    assert not comparison.scoring_mode_mismatch
    assert "rubric 'v1' vs 'v2'" in (comparison.warning or "")


def test_the_comparison_is_json_ready(record):
    before = _run("A", record("C1", evidence_used=("E1",)))
    after = _run("B", record("C1", verdict=R, score=20, passed=False), scoring_mode="ml")
    stored = json.loads(json.dumps(compare_runs(before, after).as_dict()))
    assert stored["run_a"] == "A"
    assert stored["cases"][0] == {
        "case_id": "C1",
        "model_key": "scripted/a",
        "score_a": 90,
        "score_b": 20,
        "score_delta": -70,
        "verdict_a": "SUPPORTED",
        "verdict_b": "REFUTED",
        "verdict_changed": True,
        "passed_a": True,
        "passed_b": False,
        "pass_flip": "regression",
        "evidence_overlap": 0.0,
    }
    assert stored["has_regression"] is True
    assert stored["scoring_mode_mismatch"] is True
    assert stored["warning"]


def test_a_view_built_from_a_list_is_immutable(record):
    view = RunView(run_id="A", scoring_mode="ml", rubric_version="v1", results=[record("C1")])
    assert view.results == (record("C1"),)
