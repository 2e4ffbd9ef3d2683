"""Queries of the vector index: which claims are fresh (not in the graph yet); moving them in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import Claim


def fresh() -> ColumnElement[bool]:
    """Claims with a vector that is not in the graph: the predicate of the partial index
    ``ix_claims_fresh_vectors``, spelled the same so that the planner uses it."""
    return and_(Claim.embedding.is_not(None), ~Claim.vector_indexed)


async def index_batch(session: AsyncSession, limit: int) -> int:
    """Move up to ``limit`` fresh claims into the graph; how many were moved.

    Setting the flag writes a new row version, which PostgreSQL inserts into the partial HNSW
    index. The lock is ``FOR NO KEY UPDATE`` (what the UPDATE takes anyway), which does not
    block bundles inserting edges to these claims (their foreign keys take ``KEY SHARE``).
    ``SKIP LOCKED``: concurrent indexers (one per replica) take disjoint batches, and a
    claim that another transaction is changing is left for a later round. A claim another
    indexer moved after this statement's snapshot is re-checked against ``fresh`` when its
    lock is taken, so it is never moved twice.
    """
    picked = (
        select(Claim.id)
        .where(fresh())
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    ).scalar_subquery()
    result: Any = await session.execute(
        update(Claim)
        .where(Claim.id.in_(picked))
        .values(vector_indexed=True)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def fresh_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Claim).where(fresh())) or 0)
