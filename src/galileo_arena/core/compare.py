"""Compares two runs result by result: score deltas, verdict changes, pass/fail flips.

Results are matched by ``(case_id, model_key)``. Only keys present in both runs are compared; the
others are listed per side. A pair where either side errored (a provider failure, no answer) is
listed apart and left out of the totals, since it says nothing about the model. When the runs were
scored differently (scoring mode or rubric version), score changes may come from the scoring
rather than the model, and the comparison says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from galileo_arena.core.metrics import ResultRecord
from galileo_arena.core.schemas import Verdict


class PassFlip(StrEnum):
    REGRESSION = "regression"  # passed in run A, failed in run B
    IMPROVEMENT = "improvement"  # failed in run A, passed in run B
    NONE = "none"


@dataclass(frozen=True, slots=True)
class RunView:
    """What a comparison needs of one run. For a key scored more than once, the last record wins."""

    run_id: str
    scoring_mode: str
    rubric_version: str
    results: tuple[ResultRecord, ...]

    def __post_init__(self) -> None:
        # Any sequence is accepted; a tuple keeps the view immutable.
        object.__setattr__(self, "results", tuple(self.results))


@dataclass(frozen=True, slots=True, order=True)
class CaseKey:
    case_id: str
    model_key: str

    def as_dict(self) -> dict[str, str]:
        return {"case_id": self.case_id, "model_key": self.model_key}


@dataclass(frozen=True, slots=True)
class CaseComparison:
    """One key present in both runs; deltas read as run B minus run A."""

    case_id: str
    model_key: str
    score_a: int
    score_b: int
    score_delta: int
    verdict_a: Verdict | None
    verdict_b: Verdict | None
    verdict_changed: bool
    passed_a: bool
    passed_b: bool
    pass_flip: PassFlip
    # Jaccard overlap of the evidence IDs the two judges cited; 1.0 when both cited nothing.
    evidence_overlap: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "model_key": self.model_key,
            "score_a": self.score_a,
            "score_b": self.score_b,
            "score_delta": self.score_delta,
            "verdict_a": self.verdict_a.value if self.verdict_a is not None else None,
            "verdict_b": self.verdict_b.value if self.verdict_b is not None else None,
            "verdict_changed": self.verdict_changed,
            "passed_a": self.passed_a,
            "passed_b": self.passed_b,
            "pass_flip": self.pass_flip.value,
            "evidence_overlap": self.evidence_overlap,
        }


@dataclass(frozen=True, slots=True)
class RunComparison:
    """The comparison of run A (before) with run B (after), JSON-ready through ``as_dict``."""

    run_a: str
    run_b: str
    model_key: str | None
    cases: tuple[CaseComparison, ...]
    regressions: int
    improvements: int
    unchanged: int  # compared cases whose pass/fail did not flip (their score may still move)
    # Mean of score_delta over compared cases, 2 places; None when nothing was compared.
    avg_score_delta: float | None
    has_regression: bool
    only_in_a: tuple[CaseKey, ...]
    only_in_b: tuple[CaseKey, ...]
    errored: tuple[CaseKey, ...]
    scoring_mode_mismatch: bool
    rubric_version_mismatch: bool
    warning: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "model_key": self.model_key,
            "cases": [case.as_dict() for case in self.cases],
            "regressions": self.regressions,
            "improvements": self.improvements,
            "unchanged": self.unchanged,
            "avg_score_delta": self.avg_score_delta,
            "has_regression": self.has_regression,
            "only_in_a": [key.as_dict() for key in self.only_in_a],
            "only_in_b": [key.as_dict() for key in self.only_in_b],
            "errored": [key.as_dict() for key in self.errored],
            "scoring_mode_mismatch": self.scoring_mode_mismatch,
            "rubric_version_mismatch": self.rubric_version_mismatch,
            "warning": self.warning,
        }


def evidence_overlap(cited_a: Iterable[str], cited_b: Iterable[str]) -> float:
    """Jaccard overlap of two citation lists, 4 places; two empty lists agree fully (1.0)."""
    set_a, set_b = set(cited_a), set(cited_b)
    union = set_a | set_b
    if not union:
        return 1.0
    return round(len(set_a & set_b) / len(union), 4)


def _pass_flip(passed_a: bool, passed_b: bool) -> PassFlip:
    if passed_a and not passed_b:
        return PassFlip.REGRESSION
    if passed_b and not passed_a:
        return PassFlip.IMPROVEMENT
    return PassFlip.NONE


def _compare_pair(key: CaseKey, a: ResultRecord, b: ResultRecord) -> CaseComparison:
    return CaseComparison(
        case_id=key.case_id,
        model_key=key.model_key,
        score_a=a.score,
        score_b=b.score,
        score_delta=b.score - a.score,
        verdict_a=a.verdict,
        verdict_b=b.verdict,
        verdict_changed=a.verdict != b.verdict,
        passed_a=a.passed,
        passed_b=b.passed,
        pass_flip=_pass_flip(a.passed, b.passed),
        evidence_overlap=evidence_overlap(a.evidence_used, b.evidence_used),
    )


def _by_key(run: RunView, model_key: str | None) -> dict[CaseKey, ResultRecord]:
    return {
        CaseKey(record.case_id, record.model_key): record
        for record in run.results
        if model_key is None or record.model_key == model_key
    }


def _mismatch_warning(a: RunView, b: RunView) -> str | None:
    differences = []
    if a.scoring_mode != b.scoring_mode:
        differences.append(f"scoring mode {a.scoring_mode!r} vs {b.scoring_mode!r}")
    if a.rubric_version != b.rubric_version:
        differences.append(f"rubric {a.rubric_version!r} vs {b.rubric_version!r}")
    if not differences:
        return None
    return (
        f"Runs {a.run_id} and {b.run_id} were scored differently ({'; '.join(differences)}): "
        "score changes may come from the scoring, not from the model."
    )


def compare_runs(a: RunView, b: RunView, model_key: str | None = None) -> RunComparison:
    """Compare run ``a`` (before) with run ``b`` (after), optionally for one model only."""
    results_a, results_b = _by_key(a, model_key), _by_key(b, model_key)
    shared = sorted(results_a.keys() & results_b.keys())
    errored = frozenset(key for key in shared if results_a[key].errored or results_b[key].errored)
    cases = tuple(
        _compare_pair(key, results_a[key], results_b[key]) for key in shared if key not in errored
    )
    flips = [case.pass_flip for case in cases]
    regressions = flips.count(PassFlip.REGRESSION)
    return RunComparison(
        run_a=a.run_id,
        run_b=b.run_id,
        model_key=model_key,
        cases=cases,
        regressions=regressions,
        improvements=flips.count(PassFlip.IMPROVEMENT),
        unchanged=flips.count(PassFlip.NONE),
        avg_score_delta=(
            round(sum(case.score_delta for case in cases) / len(cases), 2) if cases else None
        ),
        has_regression=regressions > 0,
        only_in_a=tuple(sorted(results_a.keys() - results_b.keys())),
        only_in_b=tuple(sorted(results_b.keys() - results_a.keys())),
        errored=tuple(sorted(errored)),
        scoring_mode_mismatch=a.scoring_mode != b.scoring_mode,
        rubric_version_mismatch=a.rubric_version != b.rubric_version,
        warning=_mismatch_warning(a, b),
    )
