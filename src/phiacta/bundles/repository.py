"""Queries of bundle submission: the idempotency row, anchors of external refs, pending refs,
near-duplicates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.bundles.refs import SQL_PREFIX
from phiacta.edges.rules import EdgeTypeRules
from phiacta.models import (
    Bundle,
    Claim,
    Edge,
    EdgeType,
    PendingReference,
    Provenance,
    Source,
    packed,
)


async def find(session: AsyncSession, submitted_by: uuid.UUID, key: str) -> Bundle | None:
    return await session.scalar(
        select(Bundle).where(Bundle.submitted_by == submitted_by, Bundle.idempotency_key == key)
    )


async def get(session: AsyncSession, bundle_id: uuid.UUID) -> Bundle | None:
    return await session.get(Bundle, bundle_id)


async def take_key(session: AsyncSession, **values: Any) -> bool:
    """Insert the bundle row in state ``processing``; False when the key is already taken.

    A concurrent submission with the same key waits here until the first one's transaction
    ends, then finds its committed row (or takes the key, if that one rolled back).
    """
    inserted = await session.scalar(
        insert(Bundle)
        .values(status="processing", **values)
        .on_conflict_do_nothing(index_elements=["submitted_by", "idempotency_key"])
        .returning(Bundle.id)
    )
    return inserted is not None


async def edge_type_rules(session: AsyncSession) -> dict[str, EdgeTypeRules]:
    rows = await session.scalars(select(EdgeType))
    return {
        row.name: EdgeTypeRules(row.name, row.is_symmetric, row.is_anti_reflexive, row.is_acyclic)
        for row in rows
    }


def _normalized(column: Any) -> Any:
    return func.regexp_replace(func.lower(func.btrim(column)), SQL_PREFIX, "")


async def anchor_for_ref(session: AsyncSession, ref: str) -> uuid.UUID | None:
    """The claim an external ref designates: among the claims extracted from the source with
    that ref (or claiming it as ``attrs.external_id``), the one marked ``attrs.anchor``, else
    the first created."""
    from_source = (
        select(Provenance.claim_id)
        .join(Source, Source.id == Provenance.source_id)
        .where(_normalized(Source.external_ref) == ref)
    )
    query = (
        select(Claim.id)
        .where(
            or_(
                Claim.id.in_(from_source),
                _normalized(Claim.attrs["external_id"].astext) == ref,
            ),
            Claim.is_latest,
        )
        .order_by(Claim.attrs.contains({"anchor": True}).desc(), Claim.created_at, Claim.id)
        .limit(1)
    )
    return await session.scalar(query)


async def open_references(session: AsyncSession, ref: str) -> list[PendingReference]:
    rows = await session.scalars(
        select(PendingReference)
        .where(PendingReference.external_ref == ref, PendingReference.status == "pending")
        .with_for_update()
    )
    return list(rows)


async def submitter_of(session: AsyncSession, bundle_id: uuid.UUID | None) -> uuid.UUID | None:
    if bundle_id is None:
        return None
    return await session.scalar(select(Bundle.submitted_by).where(Bundle.id == bundle_id))


async def insert_edge_once(session: AsyncSession, **values: Any) -> uuid.UUID | None:
    """Insert an edge unless the same agent already asserted it; its id, or the existing one."""
    new_id = await session.scalar(
        insert(Edge)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["source_id", "target_id", "edge_type", "created_by"]
        )
        .returning(Edge.id)
    )
    if new_id is not None:
        return new_id
    return await session.scalar(
        select(Edge.id).where(
            Edge.source_id == values["source_id"],
            Edge.target_id == values["target_id"],
            Edge.edge_type == values["edge_type"],
            Edge.created_by == values["created_by"],
        )
    )


DUPLICATE_EF_SEARCH = 16


async def nearest_claims(
    session: AsyncSession, vectors: Sequence[list[float]], *, min_similarity: float
) -> list[tuple[uuid.UUID, float] | None]:
    """For each vector, the most similar live claim by cosine similarity and the similarity,
    when one is more similar than ``min_similarity`` (None otherwise).

    One statement for the whole bundle: a LATERAL top-1 over the HNSW graph per vector for the
    indexed claims, and an exact scan of the fresh claims (not in the graph yet) that keeps
    only the pairs above ``min_similarity``, which is all a near-duplicate warning needs.
    """
    if not vectors:
        return []
    # A near-duplicate (similarity > 0.92) sits next to its query vector, so a narrow beam
    # finds it; the default beam of 40 made this check a third of a bundle's time.
    await session.execute(text(f"SET LOCAL hnsw.ef_search = {DUPLICATE_EF_SEARCH}"))
    # Ordered by the index's half-precision distance; the similarity is the stored vectors'.
    # The width is a type modifier, which cannot be a parameter; it is an int. The fresh
    # claims are read once into memory (OFFSET 0 keeps that subquery whole, so the planner
    # materialises it), then compared with every vector: 0.13-0.2 us a pair, a third less
    # than through a MATERIALIZED CTE. The stored vectors are TOASTed (a claim row passes
    # 2 kB): the subquery holds detoasted copies, else every pair would fetch its TOAST pages
    # again (7 times slower); l2_normalize makes the copy and leaves cosine distances as they
    # are.
    width = len(vectors[0])
    half = f"CAST(c.embedding AS halfvec({width}))"
    live = "c.is_latest AND c.status <> 'retracted'"
    rows = await session.execute(
        text(
            "WITH q AS (SELECT v, ord FROM unnest(CAST(:vectors AS vector[])) "  # noqa: S608
            "WITH ORDINALITY AS q(v, ord)) "
            "SELECT DISTINCT ON (ord) ord, id, 1 - distance FROM ("
            "SELECT q.ord, n.id, n.distance FROM q "
            "CROSS JOIN LATERAL (SELECT c.id, c.embedding <=> q.v AS distance "
            f"FROM claims c WHERE c.vector_indexed AND c.embedding IS NOT NULL AND {live} "
            f"ORDER BY {half} <=> CAST(q.v AS halfvec({width})) LIMIT 1) AS n "
            "WHERE n.distance < :within "
            "UNION ALL "
            "SELECT q.ord, f.id, f.v <=> q.v FROM q CROSS JOIN ("
            "SELECT c.id, l2_normalize(c.embedding) AS v FROM claims c "
            f"WHERE c.embedding IS NOT NULL AND NOT c.vector_indexed AND {live} OFFSET 0) AS f "
            "WHERE f.v <=> q.v < :within"
            ") AS found ORDER BY ord, distance"
        ),
        {"vectors": [packed(vector) for vector in vectors], "within": 1 - min_similarity},
    )
    nearest: list[tuple[uuid.UUID, float] | None] = [None] * len(vectors)
    for ordinal, claim_id, similarity in rows:
        nearest[ordinal - 1] = (claim_id, float(similarity))
    return nearest


async def insert_rows(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` of ``model`` as multi-row INSERTs (one round trip per ~1000 rows)."""
    if rows:
        await session.execute(insert(model), rows)
