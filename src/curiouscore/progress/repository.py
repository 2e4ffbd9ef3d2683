"""Queries on the XP ledger, badges and the figures derived from sessions."""

from __future__ import annotations

import uuid

from sqlalchemy import Float, Integer, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from curiouscore.engine.rewards import BADGES
from curiouscore.models import Badge, GameEvent, GameSession, User, UserBadge, XpAward

CHALLENGE_REASON = "challenge:"


async def ensure_badges(db: AsyncSession) -> None:
    for rule in BADGES:
        values = {
            "id": rule.id,
            "name": rule.name,
            "description": rule.description,
            "icon": rule.icon,
            "badge_type": rule.badge_type,
            "xp_reward": rule.xp_reward,
        }
        await db.execute(
            insert(Badge)
            .values(**values)
            .on_conflict_do_update(index_elements=[Badge.id], set_=values)
        )


async def add_award(
    db: AsyncSession, user_id: uuid.UUID, reason: str, xp: int, session_id: uuid.UUID | None
) -> bool:
    """Record an award once; False when this reason was already paid to this user."""
    result = await db.execute(
        insert(XpAward)
        .values(user_id=user_id, reason=reason, xp=xp, session_id=session_id)
        .on_conflict_do_nothing()
        .returning(XpAward.id)
    )
    return result.first() is not None


async def passed_challenges(db: AsyncSession, user_id: uuid.UUID) -> int:
    return (
        await db.scalar(
            select(func.count(XpAward.id)).where(
                XpAward.user_id == user_id, XpAward.reason.startswith(CHALLENGE_REASON)
            )
        )
        or 0
    )


async def badge_ids(db: AsyncSession, user_id: uuid.UUID) -> set[str]:
    return set(await db.scalars(select(UserBadge.badge_id).where(UserBadge.user_id == user_id)))


async def add_badge(db: AsyncSession, user_id: uuid.UUID, badge_id: str) -> None:
    await db.execute(
        insert(UserBadge).values(user_id=user_id, badge_id=badge_id).on_conflict_do_nothing()
    )


async def locked_user(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await db.get(User, user_id, with_for_update=True)


async def badges(db: AsyncSession) -> list[Badge]:
    return list(await db.scalars(select(Badge).order_by(Badge.xp_reward, Badge.id)))


async def user_badges(db: AsyncSession, user_id: uuid.UUID) -> list[tuple[UserBadge, Badge]]:
    rows = await db.execute(
        select(UserBadge, Badge)
        .join(Badge, Badge.id == UserBadge.badge_id)
        .where(UserBadge.user_id == user_id)
        .order_by(UserBadge.earned_at)
    )
    return [(ub, b) for ub, b in rows.all()]


async def leaderboard(db: AsyncSession, limit: int) -> list[tuple[User, int]]:
    badge_count = (
        select(func.count(UserBadge.id))
        .where(UserBadge.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    rows = await db.execute(
        select(User, badge_count).order_by(User.xp.desc(), User.created_at).limit(limit)
    )
    return [(u, n) for u, n in rows.all()]


async def session_rewards(
    db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[int, list[Badge]]:
    """XP and badges a session's completion paid: the completion's award row and every award
    and badge of the same transaction (``now()`` is the transaction's start, so they share it)."""
    paid_at = await db.scalar(
        select(XpAward.created_at).where(
            XpAward.user_id == user_id, XpAward.session_id == session_id
        )
    )
    if paid_at is None:
        return 0, []
    xp = await db.scalar(
        select(func.coalesce(func.sum(XpAward.xp), 0)).where(
            XpAward.user_id == user_id, XpAward.created_at == paid_at
        )
    )
    badges = await db.scalars(
        select(Badge)
        .join(UserBadge, UserBadge.badge_id == Badge.id)
        .where(UserBadge.user_id == user_id, UserBadge.earned_at == paid_at)
        .order_by(Badge.xp_reward)
    )
    return int(xp or 0), list(badges)


async def sessions_of(db: AsyncSession, user_id: uuid.UUID) -> list[GameSession]:
    return list(
        await db.scalars(
            select(GameSession)
            .where(GameSession.user_id == user_id)
            .order_by(GameSession.updated_at.desc())
        )
    )


async def session_figures(
    db: AsyncSession, challenge_id: uuid.UUID
) -> dict[str, float | int | None]:
    completed = GameSession.status == "completed"
    row = (
        await db.execute(
            select(
                func.count(GameSession.id),
                func.count(GameSession.started_at),
                func.count(GameSession.id).filter(completed),
                func.count(GameSession.id).filter(completed, GameSession.passed.is_(True)),
                func.avg(GameSession.percentage).filter(completed),
                func.avg(
                    func.extract("epoch", GameSession.completed_at - GameSession.started_at)
                ).filter(completed),
            ).where(GameSession.challenge_id == challenge_id)
        )
    ).one()
    sessions, started, finished, passed, percentage, seconds = row
    return {
        "sessions": sessions,
        "started": started,
        "completed": finished,
        "passed": passed,
        "average_percentage": float(percentage) if percentage is not None else None,
        "average_completion_seconds": float(seconds) if seconds is not None else None,
    }


STEP_EVENTS = ("USER_SUBMITTED_ANSWER", "STEP_FAILED", "STEP_COMPLETED")


async def step_event_counts(
    db: AsyncSession, challenge_id: uuid.UUID
) -> list[tuple[int, str, int]]:
    """(step index, event type, count) over every session of the challenge."""
    step_index = GameEvent.event_data["step_index"].astext.cast(Integer)
    rows = await db.execute(
        select(step_index, GameEvent.event_type, func.count(GameEvent.id))
        .join(GameSession, GameSession.id == GameEvent.session_id)
        .where(GameSession.challenge_id == challenge_id, GameEvent.event_type.in_(STEP_EVENTS))
        .group_by(step_index, GameEvent.event_type)
    )
    return [(index, kind, count) for index, kind, count in rows.all()]


async def llm_figures(db: AsyncSession, challenge_id: uuid.UUID) -> dict[str, float | int]:
    """Calls, failures, mean latency, tokens and cost of the LLM tasks of a challenge's sessions."""
    data = GameEvent.event_data
    ok = data["ok"].astext == "true"
    row = (
        await db.execute(
            select(
                func.count(GameEvent.id),
                func.count(GameEvent.id).filter(~ok),
                func.avg(data["latency_ms"].astext.cast(Float)),
                func.sum(
                    data["prompt_tokens"].astext.cast(Integer)
                    + data["completion_tokens"].astext.cast(Integer)
                ),
                func.sum(data["cost_usd"].astext.cast(Float)),
            )
            .join(GameSession, GameSession.id == GameEvent.session_id)
            .where(
                GameSession.challenge_id == challenge_id,
                GameEvent.event_type == "LLM_TASK_COMPLETED",
            )
        )
    ).one()
    calls, failures, latency, tokens, cost = row
    return {
        "calls": calls,
        "failures": failures,
        "average_latency_ms": round(float(latency), 1) if latency is not None else 0.0,
        "tokens": int(tokens or 0),
        "cost_usd": round(float(cost or 0.0), 6),
    }
