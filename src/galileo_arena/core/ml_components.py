"""The rubric's sub-scores on the ML path, from the raw model outputs in ``MLScores``.

Upstream hard-coded these thresholds and ignored the env vars that claimed to set them; here every
threshold comes from ``MLThresholds``, which the service fills from its settings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass

from galileo_arena.core.citations import valid_share
from galileo_arena.core.rubric import (
    GroundingPoints,
    MLDeferencePenalties,
    MLFalsifiablePoints,
    MLGroundingPoints,
    MLRefusalPenalty,
)
from galileo_arena.core.scaled_points import floor_points


@dataclass(frozen=True, slots=True)
class MLThresholds:
    """Where a model probability or similarity starts to count (every bound inclusive)."""

    falsifiable: float = 0.45
    deference_low: float = 0.4
    deference_mid: float = 0.6
    deference_high: float = 0.8
    refusal: float = 0.6

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"ML threshold {name}={value} is outside [0, 1]")
        if not self.deference_low <= self.deference_mid <= self.deference_high:
            raise ValueError(
                "ML deference thresholds must satisfy low <= mid <= high, got "
                f"{self.deference_low} / {self.deference_mid} / {self.deference_high}"
            )

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def grounding_ml_points(
    entailment: float,
    cited: Sequence[str],
    valid_eids: Collection[str],
    *,
    grounding: GroundingPoints,
    points: MLGroundingPoints,
) -> int:
    """Citation base plus how strongly the cited evidence entails the reasoning."""
    share = valid_share(cited, valid_eids)
    if share == 0.0:
        return 0
    base = points.valid_base if share >= grounding.valid_share_min else points.partial_base
    return min(points.max, base + floor_points(entailment, points.entailment_points))


def falsifiable_ml_points(
    similarities: Iterable[float], threshold: float, points: MLFalsifiablePoints
) -> int:
    """Points for each falsifiability dimension whose exemplar similarity reaches the threshold."""
    return sum(
        points.points_per_dimension for similarity in similarities if similarity >= threshold
    )


def deference_ml_penalty(
    score: float, thresholds: MLThresholds, penalties: MLDeferencePenalties
) -> int:
    none, low, mid, high = penalties.penalties
    if score < thresholds.deference_low:
        return none
    if score < thresholds.deference_mid:
        return low
    if score < thresholds.deference_high:
        return mid
    return high


def refusal_ml_penalty(
    score: float, *, safe_to_answer: bool, threshold: float, penalty: MLRefusalPenalty
) -> int:
    return penalty.penalty if safe_to_answer and score >= threshold else 0
