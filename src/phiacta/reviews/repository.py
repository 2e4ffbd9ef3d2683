"""Queries on reviews."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import Agent, Review, ReviewHistory


async def of_reviewer(
    session: AsyncSession, claim_id: uuid.UUID, reviewer_id: uuid.UUID
) -> Review | None:
    return await session.scalar(
        select(Review)
        .where(Review.claim_id == claim_id, Review.reviewer_id == reviewer_id)
        .with_for_update()
    )


async def with_reviewers(
    session: AsyncSession, claim_id: uuid.UUID
) -> list[tuple[Review, Agent, int]]:
    revisions = (
        select(func.count())
        .where(ReviewHistory.review_id == Review.id)
        .correlate(Review)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Review, Agent, revisions)
        .join(Agent, Agent.id == Review.reviewer_id)
        .where(Review.claim_id == claim_id)
        .order_by(Review.created_at, Review.id)
    )
    return [(review, agent, int(count)) for review, agent, count in rows]
