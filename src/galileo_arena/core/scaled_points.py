"""Whole points from a fraction, the way the rubric counts them (floor, never round)."""

from __future__ import annotations

import math


def floor_points(fraction: float, scale: int) -> int:
    """``floor(fraction * scale)``, immune to binary noise.

    ``0.57 * 100`` is ``56.99999999999999`` in binary; rounding to 9 places first keeps 0.57 on a
    100-point scale worth 57 points, not 56, whatever scale a rubric version picks.
    """
    return math.floor(round(fraction * scale, 9))
