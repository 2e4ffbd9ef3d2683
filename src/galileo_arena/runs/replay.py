"""Timing of a cached evaluation's replay: the original rhythm, compressed to a time budget."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

MIN_GAP_S = 0.03
MAX_GAP_S = 2.0


def replay_delays(times: Sequence[datetime], *, max_seconds: float) -> list[float]:
    """The pause before each replayed message.

    Gaps keep their proportions, scaled so the whole replay fits in ``max_seconds``; each pause
    is then clamped to [30 ms, 2 s] so a replay neither floods the browser nor drags. A budget of
    0 replays at once (tests, bulk re-scoring).
    """
    if not times or max_seconds <= 0:
        return [0.0] * len(times)
    gaps = [0.0] + [max((b - a).total_seconds(), 0.0) for a, b in pairwise(times)]
    span = sum(gaps)
    scale = min(1.0, max_seconds / span) if span > 0 else 0.0
    return [min(max(gap * scale, MIN_GAP_S), MAX_GAP_S) for gap in gaps]
