"""XP, levels and badges rules."""

from __future__ import annotations

import pytest

from curiouscore.engine.rewards import badges_earned, completion_xp, level_for


@pytest.mark.parametrize(("xp", "level"), [(0, 1), (499, 1), (500, 2), (1499, 3), (-5, 1)])
def test_level_is_floor_xp_over_500_plus_one(xp: int, level: int) -> None:
    assert level_for(xp) == level


def test_completion_xp_scales_with_the_score() -> None:
    assert completion_xp(100, 95, 100) == 95
    assert completion_xp(150, 150, 150) == 150
    assert completion_xp(200, 300, 200) == 200  # never more than the reward
    assert completion_xp(80, 0, 0) == 80


def test_badges_follow_distinct_passed_challenges() -> None:
    assert [b.name for b in badges_earned(1, set())] == ["First Steps"]
    assert [b.name for b in badges_earned(5, {"first-steps"})] == ["Quick Learner"]
    assert [b.name for b in badges_earned(10, set())] == [
        "First Steps",
        "Quick Learner",
        "AI Explorer",
    ]
    assert badges_earned(0, set()) == []
