"""Queries on edges and the edge-type registry."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Uuid, and_, any_, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import Claim, Edge, EdgeType


async def edge_type(session: AsyncSession, name: str) -> EdgeType | None:
    return await session.get(EdgeType, name)


async def edge_types(session: AsyncSession, category: str | None) -> list[EdgeType]:
    query = select(EdgeType).order_by(EdgeType.category, EdgeType.name)
    if category is not None:
        query = query.where(EdgeType.category == category)
    return list(await session.scalars(query))


async def existing_claims(session: AsyncSession, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    # One array parameter: an IN list would be a new statement (parsed and planned) per length.
    wanted = list(set(ids))
    rows = await session.scalars(
        select(Claim.id).where(Claim.id == any_(cast(wanted, ARRAY(Uuid))))
    )
    return set(rows)


async def lock_edge_type(session: AsyncSession, name: str) -> None:
    """Serialise writers of one edge type until commit, so two edges that each pass the cycle
    check cannot together close a cycle."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext("phiacta.edges"), func.hashtext(name)))
    )


async def reaches(
    session: AsyncSession, start: uuid.UUID, goal: uuid.UUID, edge_type_name: str
) -> bool:
    """Whether ``goal`` is reachable from ``start`` along ``edge_type_name`` edges.

    UNION (not UNION ALL) drops already-seen nodes, so the walk ends on any graph.
    """
    walk = select(literal(start, Uuid).label("node")).cte("walk", recursive=True)
    step = (
        select(Edge.target_id)
        .join(walk, Edge.source_id == walk.c.node)
        .where(Edge.edge_type == edge_type_name)
    )
    walk = walk.union(step)
    found = await session.scalar(select(walk.c.node).where(walk.c.node == goal).limit(1))
    return found is not None


async def same_pair_exists(
    session: AsyncSession, source: uuid.UUID, target: uuid.UUID, name: str, created_by: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(Edge.id)
        .where(
            Edge.source_id == source,
            Edge.target_id == target,
            Edge.edge_type == name,
            Edge.created_by == created_by,
        )
        .limit(1)
    )
    return found is not None


async def get(session: AsyncSession, edge_id: uuid.UUID) -> Edge | None:
    return await session.get(Edge, edge_id)


async def page(
    session: AsyncSession,
    *,
    claim_id: uuid.UUID | None,
    direction: str,
    edge_types_filter: list[str],
    stale: bool,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Edge]:
    query = select(Edge).order_by(Edge.created_at.desc(), Edge.id.desc()).limit(limit)
    if claim_id is not None:
        if direction == "outgoing":
            query = query.where(Edge.source_id == claim_id)
        elif direction == "incoming":
            query = query.where(Edge.target_id == claim_id)
        else:
            query = query.where(or_(Edge.source_id == claim_id, Edge.target_id == claim_id))
    if edge_types_filter:
        query = query.where(Edge.edge_type.in_(edge_types_filter))
    if stale:  # what the stale_edges view shows
        outdated = select(Claim.id).where(Claim.status.in_(("deprecated", "retracted")))
        query = query.where(Edge.target_id.in_(outdated))
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(Edge.created_at < at, and_(Edge.created_at == at, Edge.id < last_id))
        )
    return list(await session.scalars(query))


async def edges_of_claims(session: AsyncSession, claim_ids: Iterable[uuid.UUID]) -> list[Edge]:
    ids = list(claim_ids)
    query = select(Edge).where(or_(Edge.source_id.in_(ids), Edge.target_id.in_(ids)))
    return list(await session.scalars(query.order_by(Edge.created_at, Edge.id)))
