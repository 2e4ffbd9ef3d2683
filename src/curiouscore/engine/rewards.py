"""XP, levels and badges: the rules, as pure functions."""

from __future__ import annotations

import math
from dataclasses import dataclass

XP_PER_LEVEL = 500


def level_for(xp: int) -> int:
    return max(0, xp) // XP_PER_LEVEL + 1


def completion_xp(xp_reward: int, final_score: int, max_score: int) -> int:
    """XP for a passed completion: the challenge's reward scaled by the score obtained."""
    if max_score <= 0:
        return xp_reward
    return math.floor(xp_reward * min(final_score, max_score) / max_score)


@dataclass(frozen=True)
class BadgeRule:
    id: str
    name: str
    description: str
    icon: str
    badge_type: str
    xp_reward: int
    completions: int


BADGES: tuple[BadgeRule, ...] = (
    BadgeRule(
        "first-steps",
        "First Steps",
        "Pass your first challenge.",
        "trophy",
        "milestone",
        50,
        1,
    ),
    BadgeRule(
        "quick-learner",
        "Quick Learner",
        "Pass five different challenges.",
        "zap",
        "milestone",
        100,
        5,
    ),
    BadgeRule(
        "ai-explorer",
        "AI Explorer",
        "Pass ten different challenges.",
        "compass",
        "milestone",
        200,
        10,
    ),
)


def badges_earned(passed_challenges: int, already: set[str]) -> list[BadgeRule]:
    """Badges newly due to a learner who has passed ``passed_challenges`` distinct challenges."""
    return [b for b in BADGES if passed_challenges >= b.completions and b.id not in already]
