"""``/badges``, ``/leaderboard`` and ``/dashboard``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from curiouscore.dependencies import Admin, Core, Learner
from curiouscore.progress.schemas import (
    BadgeOut,
    ChallengeAnalytics,
    Dashboard,
    EarnedBadge,
    LeaderboardEntry,
)

router = APIRouter(tags=["progress"])


@router.get("/badges")
async def badges(cc: Core) -> list[BadgeOut]:
    return await cc.progress.badges()


@router.get("/badges/me")
async def my_badges(principal: Learner, cc: Core) -> list[EarnedBadge]:
    return await cc.progress.my_badges(principal.subject or "")


@router.get("/leaderboard")
async def leaderboard(
    principal: Learner, cc: Core, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[LeaderboardEntry]:
    """Top learners by XP: usernames and figures only, never emails; ``is_you`` marks the
    caller's own row."""
    return await cc.progress.leaderboard(limit, principal.subject or "")


@router.get("/dashboard")
async def dashboard(principal: Learner, cc: Core) -> Dashboard:
    """Your XP, level, completed count and progress per challenge, derived from sessions."""
    return await cc.progress.dashboard(principal.subject or "")


@router.get("/admin/challenges/{challenge_id}/analytics", tags=["admin"])
async def analytics(challenge_id: uuid.UUID, _: Admin, cc: Core) -> ChallengeAnalytics:
    """Sessions, pass rate, average score and time, and the most failed steps."""
    return await cc.progress.analytics(challenge_id)
