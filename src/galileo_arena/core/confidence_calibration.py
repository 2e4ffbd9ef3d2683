"""How well a judge's stated confidence matches how often it is right: Brier score and ECE.

Each input is a (confidence, correct) pair; confidence in [0, 1], correct meaning verdict == label.
"""

from __future__ import annotations

from collections.abc import Sequence

from galileo_arena.core.scaled_points import floor_points

ECE_BINS = 10


def brier_score(outcomes: Sequence[tuple[float, bool]]) -> float | None:
    """Mean squared gap between confidence and correctness (0 is perfect); ``None`` when empty."""
    if not outcomes:
        return None
    return sum((confidence - float(correct)) ** 2 for confidence, correct in outcomes) / len(
        outcomes
    )


def expected_calibration_error(
    outcomes: Sequence[tuple[float, bool]], bins: int = ECE_BINS
) -> float | None:
    """Weighted mean, over equal-width confidence bins, of |accuracy - mean confidence|.

    Bins are [0, 0.1), [0.1, 0.2), ... and the last one includes 1.0. ``None`` when empty.
    """
    if not outcomes:
        return None
    binned: dict[int, list[tuple[float, bool]]] = {}
    for confidence, correct in outcomes:
        binned.setdefault(min(floor_points(confidence, bins), bins - 1), []).append(
            (confidence, correct)
        )
    gap = 0.0
    for members in binned.values():
        accuracy = sum(1 for _, correct in members if correct) / len(members)
        mean_confidence = sum(confidence for confidence, _ in members) / len(members)
        gap += len(members) * abs(accuracy - mean_confidence)
    return gap / len(outcomes)
