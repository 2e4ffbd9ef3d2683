"""Queries on claims and what hangs off them (provenance, reviews, artifacts, lineage)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import Agent, Artifact, ArtifactClaim, Claim, Namespace, Provenance, Review


@dataclass(frozen=True)
class ClaimFilters:
    namespace: str | None = None
    namespace_subtree: bool = False
    claim_type: str | None = None
    status: str | None = None
    created_by: uuid.UUID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    lineage_id: uuid.UUID | None = None
    latest_only: bool = True
    attrs: dict[str, Any] = field(default_factory=dict)


async def get(session: AsyncSession, claim_id: uuid.UUID, *, lock: bool = False) -> Claim | None:
    return await session.get(Claim, claim_id, with_for_update=lock, populate_existing=lock)


async def embedding_of(session: AsyncSession, claim_id: uuid.UUID) -> Any:
    """A claim's vector (the column is deferred: claims load without it)."""
    return await session.scalar(select(Claim.embedding).where(Claim.id == claim_id))


async def version_of(session: AsyncSession, lineage_id: uuid.UUID, version: int) -> Claim | None:
    return await session.scalar(
        select(Claim).where(Claim.lineage_id == lineage_id, Claim.version == version)
    )


async def first_author(session: AsyncSession, lineage_id: uuid.UUID) -> uuid.UUID | None:
    """The owner of a lineage: whoever created its version 1 ([REC] §11.2.7)."""
    return await session.scalar(
        select(Claim.created_by).where(Claim.lineage_id == lineage_id, Claim.version == 1)
    )


async def lineage(session: AsyncSession, lineage_id: uuid.UUID) -> list[Claim]:
    rows = await session.scalars(
        select(Claim).where(Claim.lineage_id == lineage_id).order_by(Claim.version)
    )
    return list(rows)


def _filtered(query: Select[Any], filters: ClaimFilters) -> Select[Any]:
    if filters.latest_only:
        query = query.where(Claim.is_latest)
    if filters.namespace is not None:
        path_match = Namespace.path == filters.namespace
        if filters.namespace_subtree:
            path_match = or_(
                path_match, Namespace.path.startswith(filters.namespace + ".", autoescape=True)
            )
        query = query.where(
            Claim.namespace_id.in_(select(Namespace.id).where(path_match).scalar_subquery())
        )
    if filters.claim_type is not None:
        query = query.where(Claim.claim_type == filters.claim_type)
    if filters.status is not None:
        query = query.where(Claim.status == filters.status)
    if filters.created_by is not None:
        query = query.where(Claim.created_by == filters.created_by)
    if filters.created_after is not None:
        query = query.where(Claim.created_at > filters.created_after)
    if filters.created_before is not None:
        query = query.where(Claim.created_at < filters.created_before)
    if filters.lineage_id is not None:
        query = query.where(Claim.lineage_id == filters.lineage_id)
    if filters.attrs:
        # JSONB containment, served by the GIN (jsonb_path_ops) index on attrs.
        query = query.where(Claim.attrs.contains(filters.attrs))
    return query


async def page(
    session: AsyncSession,
    filters: ClaimFilters,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Claim]:
    query = _filtered(select(Claim), filters)
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(Claim.created_at < at, and_(Claim.created_at == at, Claim.id < last_id))
        )
    query = query.order_by(Claim.created_at.desc(), Claim.id.desc()).limit(limit)
    return list(await session.scalars(query))


async def count(session: AsyncSession, filters: ClaimFilters) -> int:
    total = await session.scalar(_filtered(select(func.count()).select_from(Claim), filters))
    return int(total or 0)


async def namespaces_by_id(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Namespace]:
    rows = await session.scalars(select(Namespace).where(Namespace.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def agents_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Agent]:
    rows = await session.scalars(select(Agent).where(Agent.id.in_(set(ids))))
    return {row.id: row for row in rows}


async def provenance_of(session: AsyncSession, claim_id: uuid.UUID) -> list[Provenance]:
    rows = await session.scalars(
        select(Provenance).where(Provenance.claim_id == claim_id).order_by(Provenance.extracted_at)
    )
    return list(rows)


async def reviews_of(session: AsyncSession, claim_id: uuid.UUID) -> list[Review]:
    rows = await session.scalars(
        select(Review).where(Review.claim_id == claim_id).order_by(Review.created_at)
    )
    return list(rows)


async def artifacts_of(session: AsyncSession, claim_id: uuid.UUID) -> list[Artifact]:
    rows = await session.scalars(
        select(Artifact)
        .join(ArtifactClaim, ArtifactClaim.artifact_id == Artifact.id)
        .where(ArtifactClaim.claim_id == claim_id)
        .order_by(Artifact.created_at)
    )
    return list(rows)
