"""Rewards on completion (inside the completing transaction) and the progress views."""

from __future__ import annotations

import uuid

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from curiouscore.challenges import repository as challenges
from curiouscore.engine.definitions import ChallengeDefinition
from curiouscore.engine.rewards import XP_PER_LEVEL, badges_earned, completion_xp, level_for
from curiouscore.engine.state import ACTIVE, COMPLETED, CREATED, Outcome
from curiouscore.models import User
from curiouscore.progress import repository
from curiouscore.progress.schemas import (
    BadgeOut,
    ChallengeAnalytics,
    ChallengeProgress,
    Dashboard,
    EarnedBadge,
    LeaderboardEntry,
    LLMFigures,
    StepFigures,
)
from servicekit.db import Database
from servicekit.errors import NotFound


async def reward_completion(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    challenge: ChallengeDefinition,
    outcome: Outcome,
) -> int:
    """XP for a passed completion, once per user and challenge, and the badges it unlocks."""
    if not outcome.passed:
        return 0
    # The learner's row is locked first: two completions finishing together are rewarded one
    # after the other, so the second one's badge count sees the first one's award.
    user = await repository.locked_user(db, user_id)
    if user is None:
        return 0
    xp = completion_xp(challenge.xp_reward, outcome.final_score, outcome.max_score)
    reason = f"{repository.CHALLENGE_REASON}{challenge.challenge_id}"
    if not await repository.add_award(db, user_id, reason, xp, session_id):
        return 0
    gained = xp
    passed = await repository.passed_challenges(db, user_id)
    for badge in badges_earned(passed, await repository.badge_ids(db, user_id)):
        await repository.add_badge(db, user_id, badge.id)
        if await repository.add_award(db, user_id, f"badge:{badge.id}", badge.xp_reward, None):
            gained += badge.xp_reward
    user.xp += gained
    user.level = level_for(user.xp)
    user.updated_at = func.now()
    return gained


class ProgressService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def badges(self) -> list[BadgeOut]:
        async with self.db.session() as db:
            return [BadgeOut.model_validate(b) for b in await repository.badges(db)]

    async def my_badges(self, user_id: str) -> list[EarnedBadge]:
        async with self.db.session() as db:
            rows = await repository.user_badges(db, uuid.UUID(user_id))
        return [
            EarnedBadge(badge_id=b.id, earned_at=ub.earned_at, badge=BadgeOut.model_validate(b))
            for ub, b in rows
        ]

    async def session_rewards(
        self, user_id: str, session_id: uuid.UUID
    ) -> tuple[int, list[BadgeOut]]:
        """What completing this session paid the learner: XP (badges' included) and badges."""
        async with self.db.session() as db:
            xp, badges = await repository.session_rewards(db, uuid.UUID(user_id), session_id)
        return xp, [BadgeOut.model_validate(b) for b in badges]

    async def leaderboard(self, limit: int, viewer_id: str = "") -> list[LeaderboardEntry]:
        async with self.db.session() as db:
            rows = await repository.leaderboard(db, limit)
        return [
            LeaderboardEntry(
                rank=i + 1,
                username=u.username,
                xp=u.xp,
                level=u.level,
                badges=n,
                is_you=str(u.id) == viewer_id,
            )
            for i, (u, n) in enumerate(rows)
        ]

    async def analytics(self, challenge_id: uuid.UUID) -> ChallengeAnalytics:
        """The guide's metrics for one challenge: pass rate, completion time, most failed steps."""
        async with self.db.session() as db:
            if await challenges.get(db, challenge_id) is None:
                raise NotFound("Challenge not found")
            figures = await repository.session_figures(db, challenge_id)
            counts = await repository.step_event_counts(db, challenge_id)
            llm = await repository.llm_figures(db, challenge_id)
            titles = {s.step_index: s.title for s in await challenges.steps(db, challenge_id)}
        per_step: dict[int, dict[str, int]] = {}
        for index, kind, number in counts:
            per_step.setdefault(index, {})[kind] = number
        steps = []
        for index in sorted(set(per_step) | set(titles)):
            seen = per_step.get(index, {})
            attempts = seen.get("USER_SUBMITTED_ANSWER", 0)
            completions = seen.get("STEP_COMPLETED", 0)
            steps.append(
                StepFigures(
                    step_index=index,
                    title=titles.get(index),
                    attempts=attempts,
                    failures=seen.get("STEP_FAILED", 0),
                    completions=completions,
                    first_try_rate=round(min(completions, attempts) / attempts, 3)
                    if attempts
                    else None,
                )
            )
        failing = sorted(
            (s for s in steps if s.failures), key=lambda s: (-s.failures, s.step_index)
        )
        completed = int(figures["completed"] or 0)
        return ChallengeAnalytics(
            challenge_id=challenge_id,
            sessions=int(figures["sessions"] or 0),
            started=int(figures["started"] or 0),
            completed=completed,
            passed=int(figures["passed"] or 0),
            pass_rate=round(int(figures["passed"] or 0) / completed, 3) if completed else None,
            average_percentage=figures["average_percentage"],
            average_completion_seconds=figures["average_completion_seconds"],
            steps=steps,
            most_failed_steps=[s.step_index for s in failing[:3]],
            llm=LLMFigures(**llm),
        )

    async def dashboard(self, user_id: str) -> Dashboard:
        uid = uuid.UUID(user_id)
        async with self.db.session() as db:
            user = await db.get(User, uid)
            if user is None:
                raise NotFound("User not found")
            catalogue = await challenges.list_active(db)
            sessions = await repository.sessions_of(db, uid)
            earned = await repository.badge_ids(db, uid)
        by_challenge: dict[uuid.UUID, list] = {}
        for session in sessions:
            by_challenge.setdefault(session.challenge_id, []).append(session)
        rows: list[ChallengeProgress] = []
        # Every challenge ever passed counts, including those since withdrawn from the catalogue.
        completed = len({s.challenge_id for s in sessions if s.status == COMPLETED and s.passed})
        for challenge, step_count in catalogue:
            played = by_challenge.get(challenge.id, [])
            passed = any(s.status == COMPLETED and s.passed for s in played)
            finished = [s.percentage for s in played if s.status == COMPLETED]
            open_sessions = [s for s in played if s.status in (CREATED, ACTIVE)]
            resume = open_sessions[0] if open_sessions else None
            if passed:
                status, percent = "completed", 100.0
            elif resume is not None:
                steps = max(step_count, 1) if challenge.challenge_type == "advanced" else 1
                status = "in_progress"
                percent = round(min(resume.current_step_index, steps) * 100 / steps, 1)
            else:
                status, percent = ("attempted" if finished else "not_started"), 0.0
            rows.append(
                ChallengeProgress(
                    challenge_id=challenge.id,
                    title=challenge.title,
                    status=status,
                    progress_percent=percent,
                    best_percentage=max((p for p in finished if p is not None), default=None),
                    passed=passed,
                    resume_session_id=resume.id if resume else None,
                )
            )
        return Dashboard(
            total_xp=user.xp,
            level=user.level,
            xp_into_level=user.xp % XP_PER_LEVEL,
            xp_per_level=XP_PER_LEVEL,
            completed_count=completed,
            badges=len(earned),
            challenges=rows,
        )
