"""Upkeep tasks; each is safe to run at any time, from any number of processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from phiacta.claims.text import embedding_text
from phiacta.models import Bundle, Claim, PendingReference
from servicekit.db import Database
from servicekit.embeddings import Embedder

# How long a replay can return the original answer (spec §6.4); the bundle row stays.
RESPONSE_TTL = timedelta(days=7)


async def reembed(db: Database, embedder: Embedder, *, batch: int = 64) -> int:
    """Give a vector from ``embedder`` to every claim without one or with another model's."""
    done = 0
    while True:
        async with db.session() as session:
            rows = list(
                await session.scalars(
                    select(Claim)
                    .where(
                        or_(
                            Claim.embedding.is_(None),
                            Claim.embedding_model.is_distinct_from(embedder.model_name),
                        )
                    )
                    .order_by(Claim.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            if not rows:
                return done
            vectors = await embedder.embed(
                [embedding_text(row.content, row.formal_content) for row in rows]
            )
            for row, vector in zip(rows, vectors, strict=True):
                row.embedding = vector.tolist()
                row.embedding_model = embedder.model_name
            done += len(rows)


@dataclass(frozen=True)
class Expired:
    pending_references: int
    bundle_responses: int


async def expire(db: Database, now: datetime, *, pending_ttl: timedelta) -> Expired:
    async with db.session() as session:
        refs = await session.execute(
            update(PendingReference)
            .where(
                PendingReference.status == "pending",
                PendingReference.created_at < now - pending_ttl,
            )
            .values(status="expired")
        )
        answers = await session.execute(
            update(Bundle)
            .where(Bundle.response.is_not(None), Bundle.submitted_at < now - RESPONSE_TTL)
            .values(response=None)
        )
    return Expired(refs.rowcount, answers.rowcount)  # type: ignore[attr-defined]
