"""Queries on challenges, their steps and their versions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from curiouscore.models import Challenge, ChallengeStep, ChallengeVersion, GameSession

_STEP_COUNT = (
    select(func.count(ChallengeStep.id))
    .where(ChallengeStep.challenge_id == Challenge.id)
    .correlate(Challenge)
    .scalar_subquery()
)


def _with_step_count() -> Select[tuple[Challenge, int]]:
    return select(Challenge, _STEP_COUNT.label("step_count"))


async def list_active(db: AsyncSession) -> list[tuple[Challenge, int]]:
    rows = await db.execute(_with_step_count().where(Challenge.is_active).order_by(Challenge.title))
    return [(c, n) for c, n in rows.all()]


async def get_with_count(
    db: AsyncSession, challenge_id: uuid.UUID, *, active_only: bool
) -> tuple[Challenge, int] | None:
    query = _with_step_count().where(Challenge.id == challenge_id)
    if active_only:
        query = query.where(Challenge.is_active)
    row = (await db.execute(query)).first()
    return (row[0], row[1]) if row else None


async def get(db: AsyncSession, challenge_id: uuid.UUID, *, lock: bool = False) -> Challenge | None:
    return await db.get(Challenge, challenge_id, with_for_update=lock)


async def steps(db: AsyncSession, challenge_id: uuid.UUID) -> list[ChallengeStep]:
    result = await db.scalars(
        select(ChallengeStep)
        .where(ChallengeStep.challenge_id == challenge_id)
        .order_by(ChallengeStep.step_index)
    )
    return list(result)


async def step(
    db: AsyncSession, challenge_id: uuid.UUID, step_id: uuid.UUID
) -> ChallengeStep | None:
    return await db.scalar(
        select(ChallengeStep).where(
            ChallengeStep.id == step_id, ChallengeStep.challenge_id == challenge_id
        )
    )


async def page(
    db: AsyncSession, *, page: int, limit: int, search: str | None, difficulty: str | None
) -> tuple[list[tuple[Challenge, int]], int]:
    conditions = []
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        conditions.append(or_(Challenge.title.ilike(pattern), Challenge.description.ilike(pattern)))
    if difficulty:
        conditions.append(Challenge.difficulty == difficulty)
    total = await db.scalar(select(func.count(Challenge.id)).where(*conditions)) or 0
    rows = await db.execute(
        _with_step_count()
        .where(*conditions)
        .order_by(Challenge.created_at.desc(), Challenge.id)
        .offset((page - 1) * limit)
        .limit(limit)
    )
    return [(c, n) for c, n in rows.all()], total


async def latest_version(db: AsyncSession, challenge_id: uuid.UUID) -> ChallengeVersion | None:
    return await db.scalar(
        select(ChallengeVersion)
        .where(ChallengeVersion.challenge_id == challenge_id)
        .order_by(ChallengeVersion.version.desc())
        .limit(1)
    )


async def version(
    db: AsyncSession, challenge_id: uuid.UUID, number: int
) -> ChallengeVersion | None:
    return await db.scalar(
        select(ChallengeVersion).where(
            ChallengeVersion.challenge_id == challenge_id, ChallengeVersion.version == number
        )
    )


async def version_by_hash(
    db: AsyncSession, challenge_id: uuid.UUID, content_hash: str
) -> ChallengeVersion | None:
    return await db.scalar(
        select(ChallengeVersion).where(
            ChallengeVersion.challenge_id == challenge_id,
            ChallengeVersion.content_hash == content_hash,
        )
    )


async def add_version(
    db: AsyncSession,
    challenge_id: uuid.UUID,
    number: int,
    content_hash: str,
    definition: dict[str, Any],
) -> bool:
    """Insert a version; False when a concurrent writer stored this content or number first."""
    result = await db.execute(
        insert(ChallengeVersion)
        .values(
            challenge_id=challenge_id,
            version=number,
            content_hash=content_hash,
            definition=definition,
        )
        .on_conflict_do_nothing()
        .returning(ChallengeVersion.id)
    )
    return result.first() is not None


async def with_model(db: AsyncSession) -> list[Challenge]:
    return list(
        await db.scalars(
            select(Challenge).where(Challenge.llm_model.is_not(None)).order_by(Challenge.title)
        )
    )


async def has_sessions(db: AsyncSession, challenge_id: uuid.UUID) -> bool:
    return bool(await db.scalar(select(exists().where(GameSession.challenge_id == challenge_id))))


async def assigned_model(db: AsyncSession, challenge_id: uuid.UUID) -> str | None:
    return await db.scalar(select(Challenge.llm_model).where(Challenge.id == challenge_id))
