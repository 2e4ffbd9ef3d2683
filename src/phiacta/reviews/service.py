"""Review use cases. A second review by the same reviewer replaces the first ([REC] §3.1: an
upsert, not the upstream 409), and the replaced verdict is kept in ``review_history``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.repository import record
from phiacta.claims import repository as claims
from phiacta.errors import claim_not_found
from phiacta.models import Agent, Review, ReviewHistory
from phiacta.reviews import repository
from phiacta.reviews.schemas import ReviewCreate, Reviewer, ReviewOut


def _out(review: Review, agent: Agent, revisions: int) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        claim_id=review.claim_id,
        verdict=review.verdict,
        confidence=review.confidence,
        comment=review.comment,
        created_at=review.created_at,
        updated_at=review.updated_at,
        reviewer=Reviewer(
            id=agent.id, name=agent.name, agent_type=agent.agent_type, trust_score=agent.trust_score
        ),
        revisions=revisions,
    )


async def upsert(
    session: AsyncSession, claim_id: uuid.UUID, data: ReviewCreate, actor: Actor
) -> tuple[ReviewOut, bool]:
    """The review, and whether it is new (else it replaced this reviewer's earlier one)."""
    if await claims.get(session, claim_id) is None:
        raise claim_not_found(claim_id)
    review = await repository.of_reviewer(session, claim_id, actor.agent_id)
    created = review is None
    if review is None:
        review = Review(claim_id=claim_id, reviewer_id=actor.agent_id, **data.model_dump())
        session.add(review)
    else:
        session.add(
            ReviewHistory(
                review_id=review.id,
                verdict=review.verdict,
                confidence=review.confidence,
                comment=review.comment,
            )
        )
        review.verdict, review.confidence, review.comment = (
            data.verdict,
            data.confidence,
            data.comment,
        )
        review.updated_at = datetime.now(UTC)
    await session.flush()
    await session.refresh(review)
    await record(
        session,
        actor,
        "review.create" if created else "review.update",
        "review",
        review.id,
        after=data.model_dump(),
    )
    rows = await repository.with_reviewers(session, claim_id)
    return next(_out(*row) for row in rows if row[0].id == review.id), created


async def list_for(session: AsyncSession, claim_id: uuid.UUID) -> list[ReviewOut]:
    if await claims.get(session, claim_id) is None:
        raise claim_not_found(claim_id)
    return [_out(*row) for row in await repository.with_reviewers(session, claim_id)]
