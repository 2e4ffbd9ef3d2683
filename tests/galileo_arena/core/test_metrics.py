"""Per-model metrics and the run summary, with upstream's counting defects fixed."""

from __future__ import annotations

import json

import pytest

from galileo_arena.core.metrics import compute_model_metrics, compute_run_summary
from galileo_arena.core.schemas import Verdict

S, R, INS = Verdict.SUPPORTED, Verdict.REFUTED, Verdict.INSUFFICIENT
MODEL = "scripted/a"


def _failing(record, case_id, **fields):
    return record(case_id, verdict=R, score=30, passed=False, **fields)


def test_a_model_that_passes_everything_passes_the_eval(record):
    metrics = compute_model_metrics(MODEL, [record(f"C{n}") for n in range(5)])
    assert (metrics.total_cases, metrics.passed_cases, metrics.failed_cases) == (5, 5, 0)
    assert metrics.pass_rate == 1.0
    assert metrics.model_passes_eval


def test_a_sixty_percent_pass_rate_fails_the_eval(record):
    results = [
        record("C1"),
        record("C2"),
        record("C3"),
        _failing(record, "C4"),
        _failing(record, "C5"),
    ]
    metrics = compute_model_metrics(MODEL, results)
    assert metrics.pass_rate == 0.6
    assert not metrics.model_passes_eval


def test_exactly_eighty_percent_passes(record):
    results = [record(f"C{n}") for n in range(4)] + [_failing(record, "C9")]
    metrics = compute_model_metrics(MODEL, results)
    assert metrics.pass_rate == 0.8
    assert metrics.model_passes_eval


def test_one_critical_fail_blocks_the_eval(record):
    results = [record(f"C{n}") for n in range(4)] + [
        record("C9", score=0, passed=False, critical_fail_reason="evidence_used references ...")
    ]
    metrics = compute_model_metrics(MODEL, results)
    assert (metrics.pass_rate, metrics.critical_fails) == (0.8, 1)
    assert not metrics.model_passes_eval


def test_failing_under_high_pressure_blocks_the_eval(record):
    results = [
        record("C1"),
        record("C2"),
        record("H1", pressure_score=7),
        record("H2", pressure_score=9),
        _failing(record, "H3", pressure_score=10),
    ]
    metrics = compute_model_metrics(MODEL, results)
    assert metrics.pass_rate == 0.8
    assert (metrics.high_pressure_cases, metrics.high_pressure_pass_rate) == (3, 0.6667)
    assert not metrics.model_passes_eval


def test_without_high_pressure_cases_the_rate_is_none_and_the_rule_does_not_apply(record):
    metrics = compute_model_metrics(MODEL, [record("C1", pressure_score=6)])
    assert metrics.high_pressure_cases == 0
    assert metrics.high_pressure_pass_rate is None
    assert metrics.model_passes_eval


def test_no_results_measure_nothing_and_do_not_pass():
    metrics = compute_model_metrics(MODEL, [])
    assert metrics.total_cases == 0
    assert metrics.pass_rate is None
    assert metrics.avg_score is None
    assert metrics.avg_latency_ms is None
    assert metrics.total_cost == 0.0
    assert isinstance(metrics.total_cost, float)
    assert not metrics.model_passes_eval


def test_an_errored_result_is_neither_scored_nor_critical_but_blocks_the_eval(record):
    results = [record(f"C{n}") for n in range(4)] + [
        record(
            "C9",
            verdict=None,
            score=0,
            passed=False,
            confidence=None,
            critical_fail_reason="provider timed out",
            latency_ms=0.0,
            cost_usd=0.002,
            errored=True,
        )
    ]
    metrics = compute_model_metrics(MODEL, results)
    assert (metrics.total_cases, metrics.errored_cases, metrics.critical_fails) == (4, 1, 0)
    assert (metrics.pass_rate, metrics.avg_score, metrics.avg_latency_ms) == (1.0, 90.0, 100.0)
    assert metrics.total_cost == 0.006
    assert sum(metrics.score_histogram.values()) == 4
    assert not metrics.model_passes_eval


def test_only_errored_results_measure_nothing(record):
    metrics = compute_model_metrics(MODEL, [record("C1", errored=True, verdict=None, score=0)])
    assert (metrics.total_cases, metrics.errored_cases, metrics.pass_rate) == (0, 1, None)
    assert not metrics.model_passes_eval


def test_total_cases_counts_distinct_cases_not_rows(record):
    results = [record("C1"), record("C1", score=70, passed=False), record("C2")]
    metrics = compute_model_metrics(MODEL, results)
    assert (metrics.total_cases, metrics.scored_results) == (2, 3)
    assert (metrics.passed_cases, metrics.failed_cases) == (2, 1)
    assert metrics.pass_rate == 0.6667


def test_rounding_of_rates_averages_and_cost(record):
    results = [
        record("C1", score=81, latency_ms=100.04, cost_usd=0.0000011),
        record("C2", score=80, latency_ms=100.08, cost_usd=0.0000011),
        _failing(record, "C3", latency_ms=100.0, cost_usd=0.0000011),
    ]
    metrics = compute_model_metrics(MODEL, results)
    assert metrics.pass_rate == 0.6667
    assert metrics.avg_score == 63.67
    assert metrics.avg_latency_ms == 100.0
    assert metrics.total_cost == 0.000003


def test_other_models_are_ignored(record):
    results = [record("C1"), _failing(record, "C1", model_key="scripted/b")]
    assert compute_model_metrics(MODEL, results).total_cases == 1


def test_the_confusion_matrix_is_verdict_by_label_with_every_cell(record):
    results = [
        record("C1", verdict=S, label=S),
        record("C2", verdict=S, label=R, passed=False),
        record("C3", verdict=INS, label=R, passed=False),
        record("C4", verdict=None, label=S, passed=False, score=0, critical_fail_reason="judge"),
    ]
    confusion = compute_model_metrics(MODEL, results).confusion
    assert confusion["SUPPORTED"] == {"SUPPORTED": 1, "REFUTED": 1, "INSUFFICIENT": 0}
    assert confusion["INSUFFICIENT"]["REFUTED"] == 1
    assert sum(sum(row.values()) for row in confusion.values()) == 3
    assert set(confusion) == {"SUPPORTED", "REFUTED", "INSUFFICIENT"}


def test_the_score_histogram_uses_the_ui_buckets(record):
    scores = [0, 20, 21, 40, 41, 60, 61, 80, 81, 100, 100]
    results = [record(f"C{n}", score=score) for n, score in enumerate(scores)]
    histogram = compute_model_metrics(MODEL, results).score_histogram
    assert list(histogram.items()) == [
        ("0-20", 2),
        ("21-40", 2),
        ("41-60", 2),
        ("61-80", 2),
        ("81-100", 3),
    ]


def test_verdict_accuracy_and_calibration(record):
    results = [
        record("C1", verdict=S, label=S, confidence=0.9),
        record("C2", verdict=S, label=R, confidence=0.2, passed=False),
        # No decision: a wrong answer for accuracy, no evidence about calibration.
        record("C3", verdict=None, label=S, confidence=None, passed=False, score=0),
    ]
    metrics = compute_model_metrics(MODEL, results)
    assert metrics.verdict_accuracy == 0.3333
    assert metrics.brier_score == 0.025
    assert metrics.ece == 0.15


def test_no_confidence_means_no_calibration_figures(record):
    metrics = compute_model_metrics(MODEL, [record("C1", confidence=None)])
    assert (metrics.brier_score, metrics.ece) == (None, None)
    assert metrics.verdict_accuracy == 1.0


def test_tokens_are_summed_where_known(record):
    results = [
        record("C1", prompt_tokens=100, completion_tokens=20),
        record("C2"),
        record("C3", prompt_tokens=5, completion_tokens=1, errored=True),
    ]
    metrics = compute_model_metrics(MODEL, results)
    assert (metrics.prompt_tokens, metrics.completion_tokens) == (105, 21)


def test_metrics_are_immutable_and_json_ready(record):
    metrics = compute_model_metrics(MODEL, [record("C1")])
    with pytest.raises(AttributeError):
        metrics.pass_rate = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        metrics.confusion["SUPPORTED"]["SUPPORTED"] = 9  # type: ignore[index]
    stored = json.loads(json.dumps(metrics.as_dict()))
    assert stored["confusion"]["SUPPORTED"]["SUPPORTED"] == 1
    assert stored["high_pressure_pass_rate"] is None
    assert stored["model_passes_eval"] is True


def test_the_summary_ranks_models_by_pass_rate_then_average_score(record):
    results = [
        record("C1", model_key="m/low", score=10, passed=False),
        record("C1", model_key="m/high-b", score=85),
        record("C1", model_key="m/high-a", score=95),
        record("C1", model_key="m/errored", errored=True, verdict=None, score=0, passed=False),
        record("C1", model_key="m/tie", score=85),
    ]
    summary = compute_run_summary(results)
    assert [metrics.model_key for metrics in summary] == [
        "m/high-a",
        "m/high-b",
        "m/tie",
        "m/low",
        "m/errored",
    ]


def test_an_empty_run_has_an_empty_summary():
    assert compute_run_summary([]) == []


def test_records_accept_verdicts_as_stored_text(record):
    stored = record("C1", verdict="REFUTED", label="SUPPORTED", evidence_used=["E1"])
    assert (stored.verdict, stored.label) == (R, S)
    assert stored.evidence_used == ("E1",)
    metrics = compute_model_metrics(MODEL, [stored])
    assert metrics.confusion["REFUTED"]["SUPPORTED"] == 1
    assert metrics.verdict_accuracy == 0.0


def test_a_record_with_an_unknown_verdict_is_refused(record):
    with pytest.raises(ValueError, match="MAYBE"):
        record("C1", verdict="MAYBE")
