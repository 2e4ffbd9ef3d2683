"""Confidence models over reviews (pure).

Each review says how likely its reviewer thinks the claim is true: an endorsement with
confidence c says c, a dispute or a retraction request says 1 - c; ``request_revision`` takes no
side and counts only as considered. (PLAN's formula averaged raw confidences, so a confident
dispute raised the score; that is the bug this mapping removes.)

- ``simple_average``: the mean of those probabilities.
- ``weighted_reviewer``: weighted by reviewer trust (``agents.trust_score``, or a caller's
  trust profile).
- ``bayesian``: Beta(1, 1) prior; each review adds ``w*p`` to alpha and ``w*(1-p)`` to beta
  ([REC] §7.5); score = alpha / (alpha + beta).
- ``evidence_chain``: 0.7 * weighted_reviewer + 0.3 * the mean score of the claim's direct
  evidence (supporters as they are, contradictors as 1 - score), or whichever exists.

Every model reports bounds from the Beta posterior of the same weighted reviews (a normal
approximation of its 95% interval, clipped to [0, 1]), so the width always says how much
evidence there is.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Model = Literal["simple_average", "weighted_reviewer", "bayesian", "evidence_chain"]
MODELS: tuple[Model, ...] = ("simple_average", "weighted_reviewer", "bayesian", "evidence_chain")
DIRECT_WEIGHT = 0.7


@dataclass(frozen=True)
class ReviewInput:
    verdict: str
    confidence: float
    trust: float = 1.0
    reviewer_type: str = "human"


@dataclass(frozen=True)
class EvidenceInput:
    score: float
    """The evidence claim's own weighted_reviewer score."""
    supports: bool
    """False for a contradicting claim."""


@dataclass(frozen=True)
class ConfidenceResult:
    score: float | None
    lower_bound: float | None
    upper_bound: float | None
    review_based: float | None
    evidence_based: float | None
    reviews_considered: int
    evidence_considered: int


def truth_probability(review: ReviewInput) -> float | None:
    if review.verdict == "endorse":
        return review.confidence
    if review.verdict in {"dispute", "retract"}:
        return 1.0 - review.confidence
    return None


def _sided(reviews: Sequence[ReviewInput]) -> list[tuple[float, float]]:
    """(probability, weight) of every review that takes a side and has positive weight."""
    pairs = []
    for review in reviews:
        p = truth_probability(review)
        if p is not None and review.trust > 0:
            pairs.append((p, review.trust))
    return pairs


def simple_average(reviews: Sequence[ReviewInput]) -> float | None:
    sided = _sided(reviews)
    return statistics.fmean(p for p, _ in sided) if sided else None


def weighted_reviewer(reviews: Sequence[ReviewInput]) -> float | None:
    sided = _sided(reviews)
    total = sum(w for _, w in sided)
    return sum(p * w for p, w in sided) / total if total else None


def beta_posterior(reviews: Sequence[ReviewInput]) -> tuple[float, float]:
    alpha = beta = 1.0
    for p, w in _sided(reviews):
        alpha += w * p
        beta += w * (1.0 - p)
    return alpha, beta


def beta_bounds(alpha: float, beta: float) -> tuple[float, float]:
    total = alpha + beta
    mean = alpha / total
    spread = 1.96 * math.sqrt(alpha * beta / (total * total * (total + 1.0)))
    return max(0.0, mean - spread), min(1.0, mean + spread)


def evidence_score(evidence: Sequence[EvidenceInput]) -> float | None:
    if not evidence:
        return None
    return statistics.fmean(e.score if e.supports else 1.0 - e.score for e in evidence)


def confidence(
    model: Model, reviews: Sequence[ReviewInput], evidence: Sequence[EvidenceInput] = ()
) -> ConfidenceResult:
    alpha, beta = beta_posterior(reviews)
    sided = _sided(reviews)
    lower, upper = beta_bounds(alpha, beta) if sided else (None, None)
    review_based: float | None
    evidence_based = None
    if model == "simple_average":
        review_based = simple_average(reviews)
        score = review_based
    elif model == "bayesian":
        review_based = alpha / (alpha + beta) if sided else None
        score = review_based
    else:
        review_based = weighted_reviewer(reviews)
        score = review_based
        if model == "evidence_chain":
            evidence_based = evidence_score(evidence)
            if review_based is not None and evidence_based is not None:
                score = DIRECT_WEIGHT * review_based + (1 - DIRECT_WEIGHT) * evidence_based
            elif evidence_based is not None:
                score = evidence_based
    return ConfidenceResult(
        score=score,
        lower_bound=lower,
        upper_bound=upper,
        review_based=review_based,
        evidence_based=evidence_based,
        reviews_considered=len(reviews),
        evidence_considered=len(evidence) if model == "evidence_chain" else 0,
    )


@dataclass(frozen=True)
class Distribution:
    buckets: list[tuple[float, float, int]]
    mean: float | None
    median: float | None
    std_dev: float | None
    by_reviewer_type: dict[str, tuple[float, int]]


def distribution(reviews: Sequence[ReviewInput]) -> Distribution:
    """Truth probabilities in 5 buckets of width 0.2 (the last one includes 1.0), their mean,
    median and population standard deviation, and the mean and count per reviewer type."""
    values = [(truth_probability(r), r.reviewer_type) for r in reviews]
    sided = [(p, kind) for p, kind in values if p is not None]
    counts = [0] * 5
    for p, _ in sided:
        # Rounded first: 1 - 0.8 is 0.19999999999999996 in floating point, yet belongs at 0.2.
        counts[min(int(round(p * 5, 9)), 4)] += 1
    edges = [round(i * 0.2, 1) for i in range(6)]
    probabilities = [p for p, _ in sided]
    by_type: dict[str, list[float]] = {}
    for p, kind in sided:
        by_type.setdefault(kind, []).append(p)
    return Distribution(
        buckets=[(edges[i], edges[i + 1], counts[i]) for i in range(5)],
        mean=statistics.fmean(probabilities) if probabilities else None,
        median=statistics.median(probabilities) if probabilities else None,
        std_dev=statistics.pstdev(probabilities) if probabilities else None,
        by_reviewer_type={
            kind: (statistics.fmean(items), len(items)) for kind, items in sorted(by_type.items())
        },
    )
