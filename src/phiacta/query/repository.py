"""Search and traversal queries."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.models import Claim, Edge, EdgeType, Namespace, half_precision
from phiacta.query.schemas import SearchFilters
from phiacta.query.tsquery import split_query


def _filtered(query: Select[Any], filters: SearchFilters) -> Select[Any]:
    query = query.where(Claim.is_latest)
    if filters.exclude_retracted:
        query = query.where(Claim.status != "retracted")
    if filters.namespace_prefix:
        prefix = filters.namespace_prefix.rstrip("*").rstrip(".")
        query = query.where(
            Claim.namespace_id.in_(
                select(Namespace.id)
                .where(
                    or_(
                        Namespace.path == prefix,
                        Namespace.path.startswith(prefix + ".", autoescape=True),
                    )
                )
                .scalar_subquery()
            )
        )
    if filters.claim_types:
        query = query.where(Claim.claim_type.in_(filters.claim_types))
    if filters.created_after:
        query = query.where(Claim.created_at > filters.created_after)
    if filters.created_before:
        query = query.where(Claim.created_at < filters.created_before)
    if filters.attrs:
        query = query.where(Claim.attrs.contains(filters.attrs))
    return query


def ts_query(text: str) -> ColumnElement[Any]:
    head, prefix = split_query(text)
    query: ColumnElement[Any] = func.plainto_tsquery("english", head)
    if prefix is not None:
        query = query.op("&&")(func.to_tsquery("english", prefix))
    return query


async def semantic(
    session: AsyncSession,
    vector: list[float],
    filters: SearchFilters,
    limit: int,
    *,
    probes: int,
) -> list[tuple[uuid.UUID, float]]:
    """The ``limit`` claims most similar to ``vector`` through the IVFFlat index, opening
    ``probes`` lists first (``phiacta.vectors.sizing.search_probes``)."""
    # Filters (latest version, namespace, type...) drop candidates after the index found them;
    # an iterative scan (pgvector >= 0.8) opens more lists until `limit` rows pass. Both for
    # this transaction only, in one round trip.
    await session.execute(
        text(
            "SELECT set_config('ivfflat.probes', :probes, true), "
            "set_config('ivfflat.iterative_scan', 'relaxed_order', true)"
        ),
        {"probes": str(probes)},
    )
    # The index serves the order (half precision, and "relaxed": lists opened later may hold
    # closer claims); the outer query ranks the candidates by the stored vectors' similarity.
    width = len(vector)
    similarity = (literal_column("1") - Claim.embedding.cosine_distance(vector)).label("similarity")
    candidates = (
        _filtered(select(Claim.id, similarity), filters)
        .where(Claim.embedding.is_not(None))
        .order_by(
            half_precision(Claim.embedding, width).cosine_distance(half_precision(vector, width))
        )
        .limit(limit)
        .subquery()
    )
    rows = await session.execute(
        select(candidates.c.id, candidates.c.similarity).order_by(
            candidates.c.similarity.desc(), candidates.c.id
        )
    )
    return [(claim_id, float(value)) for claim_id, value in rows]


async def fulltext(
    session: AsyncSession, text: str, filters: SearchFilters, limit: int
) -> list[tuple[uuid.UUID, float]]:
    query_ts = ts_query(text)
    rank = func.ts_rank_cd(Claim.search_tsv, query_ts)
    query = _filtered(select(Claim.id, rank.label("rank")), filters).where(
        Claim.search_tsv.op("@@")(query_ts)
    )
    rows = await session.execute(query.order_by(rank.desc(), Claim.id).limit(limit))
    return [(claim_id, float(value)) for claim_id, value in rows]


async def headlines(
    session: AsyncSession, ids: Collection[uuid.UUID], text: str
) -> dict[uuid.UUID, str]:
    headline = func.ts_headline(
        "english", Claim.content, ts_query(text), "StartSel=<em>, StopSel=</em>, HighlightAll=true"
    )
    rows = await session.execute(select(Claim.id, headline).where(Claim.id.in_(ids)))
    return {claim_id: value for claim_id, value in rows}


async def claims_by_id(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Claim]:
    rows = await session.scalars(select(Claim).where(Claim.id.in_(ids)))
    return {row.id: row for row in rows}


async def retracted_among(session: AsyncSession, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(Claim.id).where(Claim.id.in_(ids), Claim.status == "retracted")
    )
    return set(rows)


async def latest_versions(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Each claim id -> the id of the latest version of its lineage (itself if latest)."""
    latest = Claim.__table__.alias("latest")
    rows = await session.execute(
        select(Claim.id, latest.c.id)
        .join(latest, and_(latest.c.lineage_id == Claim.lineage_id, latest.c.is_latest))
        .where(Claim.id.in_(ids))
    )
    return {claim_id: latest_id for claim_id, latest_id in rows}


async def symmetric_types(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(EdgeType.name).where(EdgeType.is_symmetric)))


async def transitive_types(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(EdgeType.name).where(EdgeType.is_transitive)))


def _edge_filters(
    types: Collection[str], excluded: Collection[str], min_strength: float | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if types:
        conditions.append(Edge.edge_type.in_(types))
    if excluded:
        conditions.append(Edge.edge_type.not_in(excluded))
    if min_strength is not None:
        conditions.append(func.coalesce(Edge.strength, 1.0) >= min_strength)
    return conditions


async def level_edges(
    session: AsyncSession,
    frontier: Collection[uuid.UUID],
    *,
    direction: str,
    symmetric: Collection[str],
    types: Collection[str],
    excluded: Collection[str],
    min_strength: float | None,
) -> list[Edge]:
    """Every edge leaving the frontier in ``direction``; symmetric types in both directions."""
    out = Edge.source_id.in_(frontier)
    into = Edge.target_id.in_(frontier)
    if direction == "outgoing":
        reach = or_(out, and_(into, Edge.edge_type.in_(symmetric)))
    elif direction == "incoming":
        reach = or_(into, and_(out, Edge.edge_type.in_(symmetric)))
    else:
        reach = or_(out, into)
    query = select(Edge).where(reach, *_edge_filters(types, excluded, min_strength))
    return list(await session.scalars(query.order_by(Edge.created_at, Edge.id)))


async def edges_among(
    session: AsyncSession,
    nodes: Collection[uuid.UUID],
    *,
    types: Collection[str],
    excluded: Collection[str],
    min_strength: float | None,
) -> list[Edge]:
    query = select(Edge).where(
        Edge.source_id.in_(nodes),
        Edge.target_id.in_(nodes),
        *_edge_filters(types, excluded, min_strength),
    )
    return list(await session.scalars(query.order_by(Edge.created_at, Edge.id)))
