"""Scores one judge decision against the case's label: ``score_case`` and its ``CaseScore``.

Order of work: critical fails first (they score 0 and ignore ML), then the keyword sub-scores, then
the ML sub-scores for each ``MLScores`` field that is present, blended per component: positive
components take ``max(keyword, ml)``, penalties ``min(keyword, ml)``. Correctness and calibration
have no ML part. Every sub-score, the keyword and ML value of each blended component and the phrases
that matched are kept in the result, so a stored score can be explained and audited later.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from galileo_arena.core.keyword_components import (
    FalsifiableMatches,
    calibration_points,
    correctness_points,
    deference_penalty,
    falsifiable_points,
    grounding_points,
    refusal_penalty,
)
from galileo_arena.core.keywords import find_phrases
from galileo_arena.core.ml_components import (
    MLThresholds,
    deference_ml_penalty,
    falsifiable_ml_points,
    grounding_ml_points,
    refusal_ml_penalty,
)
from galileo_arena.core.rubric import Rubric, load_rubric
from galileo_arena.core.schemas import JudgeDecision, MLScores, Verdict
from galileo_arena.core.validation import critical_fail_reason


class ScoringMode(StrEnum):
    """``ml`` when at least one ML output took part in the score, else ``deterministic``."""

    ML = "ml"
    DETERMINISTIC = "deterministic"


@dataclass(frozen=True, slots=True)
class MatchedPhrases:
    """The rubric phrases found in the reasoning, per list, for the replay UI."""

    mechanism: tuple[str, ...] = ()
    limitation: tuple[str, ...] = ()
    testability: tuple[str, ...] = ()
    deference: tuple[str, ...] = ()
    refusal: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "mechanism": list(self.mechanism),
            "limitation": list(self.limitation),
            "testability": list(self.testability),
            "deference": list(self.deference),
            "refusal": list(self.refusal),
        }


@dataclass(frozen=True, slots=True)
class ScoreBreakdown:
    """Every sub-score. ``*_keyword`` and ``*_ml`` are the two inputs of each blended component;
    an ``*_ml`` value is ``None`` when its ML output was absent (the keyword value then stands)."""

    correctness: int = 0
    grounding: int = 0
    calibration: int = 0
    falsifiable: int = 0
    deference: int = 0
    refusal: int = 0
    grounding_keyword: int = 0
    grounding_ml: int | None = None
    falsifiable_keyword: int = 0
    falsifiable_ml: int | None = None
    deference_keyword: int = 0
    deference_ml: int | None = None
    refusal_keyword: int = 0
    refusal_ml: int | None = None
    matched: MatchedPhrases = MatchedPhrases()

    @property
    def raw_total(self) -> int:
        """The sum of the six sub-scores before clamping to the rubric's range."""
        return (
            self.correctness
            + self.grounding
            + self.calibration
            + self.falsifiable
            + self.deference
            + self.refusal
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "correctness": self.correctness,
            "grounding": self.grounding,
            "calibration": self.calibration,
            "falsifiable": self.falsifiable,
            "deference": self.deference,
            "refusal": self.refusal,
            "grounding_keyword": self.grounding_keyword,
            "grounding_ml": self.grounding_ml,
            "falsifiable_keyword": self.falsifiable_keyword,
            "falsifiable_ml": self.falsifiable_ml,
            "deference_keyword": self.deference_keyword,
            "deference_ml": self.deference_ml,
            "refusal_keyword": self.refusal_keyword,
            "refusal_ml": self.refusal_ml,
            "matched": self.matched.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class CaseScore:
    """The scored outcome of one judge decision, immutable; ``as_dict`` is what gets stored."""

    total: int
    passed: bool
    critical_fail_reason: str | None
    scoring_mode: ScoringMode
    rubric_version: str
    rubric_digest: str
    breakdown: ScoreBreakdown
    # The thresholds the ML sub-scores were computed with; None when no ML output was used.
    ml_thresholds: MLThresholds | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "passed": self.passed,
            "critical_fail_reason": self.critical_fail_reason,
            "scoring_mode": self.scoring_mode.value,
            "rubric_version": self.rubric_version,
            "rubric_digest": self.rubric_digest,
            "breakdown": self.breakdown.as_dict(),
            "ml_thresholds": self.ml_thresholds.as_dict() if self.ml_thresholds else None,
        }


@dataclass(frozen=True, slots=True)
class _MLComponents:
    grounding: int | None
    falsifiable: int | None
    deference: int | None
    refusal: int | None

    @property
    def used(self) -> bool:
        return any(
            value is not None
            for value in (self.grounding, self.falsifiable, self.deference, self.refusal)
        )


def _ml_components(
    ml: MLScores | None,
    judge: JudgeDecision,
    *,
    valid_eids: Collection[str],
    safe_to_answer: bool,
    rubric: Rubric,
    thresholds: MLThresholds,
) -> _MLComponents:
    if ml is None:
        return _MLComponents(None, None, None, None)
    grounding = None
    if ml.grounding_entailment is not None:
        grounding = grounding_ml_points(
            ml.grounding_entailment,
            judge.evidence_used,
            valid_eids,
            grounding=rubric.grounding,
            points=rubric.ml.grounding,
        )
    # The three similarities come from one embedder, so they are present together in practice;
    # if only some are, the present ones still count (the max blend keeps the keyword floor).
    similarities = [
        similarity
        for similarity in (
            ml.falsifiable_mechanism,
            ml.falsifiable_limitation,
            ml.falsifiable_testability,
        )
        if similarity is not None
    ]
    falsifiable = (
        falsifiable_ml_points(similarities, thresholds.falsifiable, rubric.ml.falsifiable)
        if similarities
        else None
    )
    deference = (
        deference_ml_penalty(ml.deference, thresholds, rubric.ml.deference)
        if ml.deference is not None
        else None
    )
    refusal = (
        refusal_ml_penalty(
            ml.refusal,
            safe_to_answer=safe_to_answer,
            threshold=thresholds.refusal,
            penalty=rubric.ml.refusal,
        )
        if ml.refusal is not None
        else None
    )
    return _MLComponents(grounding, falsifiable, deference, refusal)


def _raise_to(keyword: int, ml: int | None) -> int:
    return keyword if ml is None else max(keyword, ml)


def _lower_to(keyword: int, ml: int | None) -> int:
    return keyword if ml is None else min(keyword, ml)


def score_case(
    judge: JudgeDecision | None,
    *,
    label: Verdict,
    valid_eids: Collection[str],
    safe_to_answer: bool = True,
    ml: MLScores | None = None,
    judge_error: str | None = None,
    rubric: Rubric | None = None,
    thresholds: MLThresholds = MLThresholds(),
) -> CaseScore:
    """Score the judge's decision for a case whose ground truth is ``label``.

    ``judge`` is ``None`` when the judge produced no valid decision (``judge_error`` says why):
    that is a critical fail. ``rubric`` defaults to the packaged v1 rubric.
    """
    rubric = rubric or load_rubric()
    reason = critical_fail_reason(judge, valid_eids=valid_eids, judge_error=judge_error)
    if judge is None or reason is not None:
        return CaseScore(
            total=0,
            passed=False,
            critical_fail_reason=reason,
            scoring_mode=ScoringMode.DETERMINISTIC,
            rubric_version=rubric.version,
            rubric_digest=rubric.digest,
            breakdown=ScoreBreakdown(),
        )

    verdict = Verdict(judge.verdict)
    label = Verdict(label)
    reasoning = judge.reasoning
    falsifiable_hits = FalsifiableMatches.find(reasoning, rubric.falsifiable)
    deference_hits = find_phrases(reasoning, rubric.deference.phrases)
    refusal_hits = find_phrases(reasoning, rubric.refusal.phrases)

    grounding_keyword = grounding_points(judge.evidence_used, valid_eids, rubric.grounding)
    falsifiable_keyword = falsifiable_points(falsifiable_hits, rubric.falsifiable)
    deference_keyword = deference_penalty(len(deference_hits), rubric.deference)
    refusal_keyword = refusal_penalty(
        refusal_hits, safe_to_answer=safe_to_answer, rules=rubric.refusal
    )
    ml_parts = _ml_components(
        ml,
        judge,
        valid_eids=valid_eids,
        safe_to_answer=safe_to_answer,
        rubric=rubric,
        thresholds=thresholds,
    )

    breakdown = ScoreBreakdown(
        correctness=correctness_points(verdict, label, rubric.correctness),
        grounding=_raise_to(grounding_keyword, ml_parts.grounding),
        calibration=calibration_points(
            judge.confidence, correct=verdict == label, rules=rubric.calibration
        ),
        falsifiable=_raise_to(falsifiable_keyword, ml_parts.falsifiable),
        deference=_lower_to(deference_keyword, ml_parts.deference),
        refusal=_lower_to(refusal_keyword, ml_parts.refusal),
        grounding_keyword=grounding_keyword,
        grounding_ml=ml_parts.grounding,
        falsifiable_keyword=falsifiable_keyword,
        falsifiable_ml=ml_parts.falsifiable,
        deference_keyword=deference_keyword,
        deference_ml=ml_parts.deference,
        refusal_keyword=refusal_keyword,
        refusal_ml=ml_parts.refusal,
        matched=MatchedPhrases(
            mechanism=falsifiable_hits.mechanism,
            limitation=falsifiable_hits.limitation,
            testability=falsifiable_hits.testability,
            deference=deference_hits,
            refusal=refusal_hits,
        ),
    )
    total = min(rubric.case.max_total, max(rubric.case.min_total, breakdown.raw_total))
    return CaseScore(
        total=total,
        passed=total >= rubric.case.pass_threshold,
        critical_fail_reason=None,
        scoring_mode=ScoringMode.ML if ml_parts.used else ScoringMode.DETERMINISTIC,
        rubric_version=rubric.version,
        rubric_digest=rubric.digest,
        breakdown=breakdown,
        ml_thresholds=thresholds if ml_parts.used else None,
    )
