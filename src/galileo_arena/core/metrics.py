"""Per-model metrics over a run's results, and the run summary (one ``ModelMetrics`` per model).

Fixed from upstream:
- an *errored* result (the provider failed: no model answer exists) is neither a critical fail nor
  a scored case; it is counted in ``errored_cases`` and keeps the model from passing the
  evaluation until the case is re-run;
- ``total_cases`` counts distinct scored cases, not result rows;
- a rate over an empty set is ``None`` ("not measured"), never 0.0. In particular
  ``high_pressure_pass_rate`` is ``None`` without high-pressure cases, and the pass decision reads
  that the same way: the high-pressure rule does not apply (upstream showed 0.0 but decided as if
  it were 1.0).

Counts of passes, fails and critical fails are over scored *results*; they equal case counts
unless a case was scored more than once (repeats), which ``scored_results`` makes visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from galileo_arena.core.confidence_calibration import brier_score, expected_calibration_error
from galileo_arena.core.rubric import Rubric, load_rubric
from galileo_arena.core.schemas import Verdict

# (label, lowest score, highest score), inclusive; the UI's histogram buckets.
SCORE_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("0-20", 0, 20),
    ("21-40", 21, 40),
    ("41-60", 41, 60),
    ("61-80", 61, 80),
    ("81-100", 81, 100),
)


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """One model's stored result for one case, as metrics and comparisons need it.

    ``errored`` marks a provider failure (timeout, missing key, quota): there is no model answer,
    so ``verdict`` is usually ``None`` and ``score`` 0, and the result is not scored.
    Verdicts and labels may be given as their text (as a database row holds them).
    """

    case_id: str
    model_key: str
    verdict: Verdict | None
    label: Verdict
    score: int
    passed: bool
    confidence: float | None
    critical_fail_reason: str | None
    latency_ms: float
    cost_usd: float
    pressure_score: int
    errored: bool = False
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    evidence_used: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Frozen: normalise through object.__setattr__, once, at construction.
        if self.verdict is not None:
            object.__setattr__(self, "verdict", Verdict(self.verdict))
        object.__setattr__(self, "label", Verdict(self.label))
        object.__setattr__(self, "evidence_used", tuple(self.evidence_used))

    @property
    def verdict_correct(self) -> bool:
        return self.verdict is not None and self.verdict == self.label

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "model_key": self.model_key,
            "verdict": self.verdict.value if self.verdict is not None else None,
            "label": self.label.value,
            "score": self.score,
            "passed": self.passed,
            "confidence": self.confidence,
            "critical_fail_reason": self.critical_fail_reason,
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
            "pressure_score": self.pressure_score,
            "errored": self.errored,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "evidence_used": list(self.evidence_used),
        }


def _frozen_mapping(values: Mapping[str, Any]) -> Mapping[str, Any]:
    # A read-only view, so that a frozen ModelMetrics is immutable all the way down.
    return MappingProxyType(dict(values))


@dataclass(frozen=True, slots=True)
class ModelMetrics:
    """One model's results summarised; rates and averages are ``None`` when nothing was measured."""

    model_key: str
    total_cases: int
    scored_results: int
    passed_cases: int
    failed_cases: int
    critical_fails: int
    errored_cases: int
    pass_rate: float | None
    avg_score: float | None
    avg_latency_ms: float | None
    total_cost: float
    high_pressure_cases: int
    high_pressure_pass_rate: float | None
    model_passes_eval: bool
    verdict_accuracy: float | None
    brier_score: float | None
    ece: float | None
    prompt_tokens: int
    completion_tokens: int
    # confusion[verdict][label] = count, every Verdict on both axes.
    confusion: Mapping[str, Mapping[str, int]]
    # Scored results per SCORE_BUCKETS label, in bucket order.
    score_histogram: Mapping[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "model_key": self.model_key,
            "total_cases": self.total_cases,
            "scored_results": self.scored_results,
            "passed_cases": self.passed_cases,
            "failed_cases": self.failed_cases,
            "critical_fails": self.critical_fails,
            "errored_cases": self.errored_cases,
            "pass_rate": self.pass_rate,
            "avg_score": self.avg_score,
            "avg_latency_ms": self.avg_latency_ms,
            "total_cost": self.total_cost,
            "high_pressure_cases": self.high_pressure_cases,
            "high_pressure_pass_rate": self.high_pressure_pass_rate,
            "model_passes_eval": self.model_passes_eval,
            "verdict_accuracy": self.verdict_accuracy,
            "brier_score": self.brier_score,
            "ece": self.ece,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "confusion": {verdict: dict(row) for verdict, row in self.confusion.items()},
            "score_histogram": dict(self.score_histogram),
        }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rounded(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def _confusion(scored: Sequence[ResultRecord]) -> Mapping[str, Mapping[str, int]]:
    counts = {
        verdict.value: dict.fromkeys((label.value for label in Verdict), 0) for verdict in Verdict
    }
    for record in scored:
        if record.verdict is not None:
            counts[record.verdict.value][record.label.value] += 1
    return _frozen_mapping({verdict: _frozen_mapping(row) for verdict, row in counts.items()})


def _score_histogram(scored: Sequence[ResultRecord]) -> Mapping[str, int]:
    counts = dict.fromkeys((name for name, _, _ in SCORE_BUCKETS), 0)
    for record in scored:
        for name, lowest, highest in SCORE_BUCKETS:
            if lowest <= record.score <= highest:
                counts[name] += 1
                break
    return _frozen_mapping(counts)


def _calibration_outcomes(scored: Sequence[ResultRecord]) -> list[tuple[float, bool]]:
    # Only answers with a verdict and an in-range confidence say anything about calibration.
    return [
        (record.confidence, record.verdict_correct)
        for record in scored
        if record.verdict is not None
        and record.confidence is not None
        and 0.0 <= record.confidence <= 1.0
    ]


def compute_model_metrics(
    model_key: str, results: Iterable[ResultRecord], *, rubric: Rubric | None = None
) -> ModelMetrics:
    """Metrics of ``model_key`` over its records in ``results`` (other models' records are ignored).

    Rounding: pass_rate, high_pressure_pass_rate, verdict_accuracy, brier_score and ece to 4
    places, avg_score to 2, avg_latency_ms to 1, total_cost to 6. Costs and tokens include errored
    results (the calls were paid for); everything else is over scored results only.
    """
    rubric = rubric or load_rubric()
    mine = [record for record in results if record.model_key == model_key]
    scored = [record for record in mine if not record.errored]
    errored_cases = len({record.case_id for record in mine if record.errored})
    passed = sum(1 for record in scored if record.passed)
    critical_fails = sum(1 for record in scored if record.critical_fail_reason)
    high_pressure = [
        record for record in scored if record.pressure_score >= rubric.case.high_pressure_min
    ]
    pass_rate = _share(passed, len(scored))
    high_pressure_pass_rate = _share(
        sum(1 for record in high_pressure if record.passed), len(high_pressure)
    )
    rules = rubric.model
    model_passes_eval = (
        pass_rate is not None
        and errored_cases == 0
        and pass_rate >= rules.min_pass_rate
        and critical_fails <= rules.max_critical_fails
        and (
            high_pressure_pass_rate is None
            or high_pressure_pass_rate >= rules.min_high_pressure_pass_rate
        )
    )
    outcomes = _calibration_outcomes(scored)
    return ModelMetrics(
        model_key=model_key,
        total_cases=len({record.case_id for record in scored}),
        scored_results=len(scored),
        passed_cases=passed,
        failed_cases=len(scored) - passed,
        critical_fails=critical_fails,
        errored_cases=errored_cases,
        pass_rate=_rounded(pass_rate, 4),
        avg_score=_rounded(
            sum(record.score for record in scored) / len(scored) if scored else None, 2
        ),
        avg_latency_ms=_rounded(
            sum(record.latency_ms for record in scored) / len(scored) if scored else None, 1
        ),
        total_cost=round(sum((record.cost_usd for record in mine), 0.0), 6),
        high_pressure_cases=len(high_pressure),
        high_pressure_pass_rate=_rounded(high_pressure_pass_rate, 4),
        model_passes_eval=model_passes_eval,
        verdict_accuracy=_rounded(
            _share(sum(1 for record in scored if record.verdict_correct), len(scored)), 4
        ),
        brier_score=_rounded(brier_score(outcomes), 4),
        ece=_rounded(expected_calibration_error(outcomes), 4),
        prompt_tokens=sum(record.prompt_tokens or 0 for record in mine),
        completion_tokens=sum(record.completion_tokens or 0 for record in mine),
        confusion=_confusion(scored),
        score_histogram=_score_histogram(scored),
    )


def compute_run_summary(
    results: Iterable[ResultRecord], *, rubric: Rubric | None = None
) -> list[ModelMetrics]:
    """One ``ModelMetrics`` per model, best first: pass rate, then average score, descending.

    Models with nothing scored come last; ties keep a stable order by model key.
    """
    rubric = rubric or load_rubric()
    by_model: dict[str, list[ResultRecord]] = {}
    for record in results:
        by_model.setdefault(record.model_key, []).append(record)
    # Grouped once, so each model's metrics read only its own records.
    summaries = [
        compute_model_metrics(key, records, rubric=rubric)
        for key, records in sorted(by_model.items())
    ]
    return sorted(
        summaries,
        key=lambda metrics: (
            metrics.pass_rate is None,
            -(metrics.pass_rate or 0.0),
            -(metrics.avg_score or 0.0),
            metrics.model_key,
        ),
    )
