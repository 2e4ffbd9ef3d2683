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
    PackedVector,
    PendingReference,
    Provenance,
    Source,
    packed,
)
from phiacta.vectors.sizing import DUPLICATE_PROBES
from servicekit.db import copy_rows


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


async def nearest_claims(
    session: AsyncSession, vectors: Sequence[PackedVector | list[float]], *, min_similarity: float
) -> list[tuple[uuid.UUID, float] | None]:
    """For each vector, the most similar live claim by cosine similarity and the similarity,
    when one is more similar than ``min_similarity`` (None otherwise).

    One statement for the whole bundle: a LATERAL top-1 per vector over the IVFFlat index,
    which opens the query's nearest list only (``DUPLICATE_PROBES``): a claim similar enough
    to warn about sits next to the query, in that list (measured on real sentences in
    ``tests/phiacta/api/test_vector_index_api.py``).
    """
    if not vectors:
        return []
    # Ordered by the index or not at all: on a small or one-list index the planner prefers a
    # scan and a sort per claim, which reads every stored vector (out of line) 500 times over
    # (measured at 1,000 claims: 6 ms a claim, against 0.4 ms through the index).
    await session.execute(
        text(
            "SELECT set_config('ivfflat.probes', :probes, true), "
            "set_config('enable_sort', 'off', true)"
        ),
        {"probes": str(DUPLICATE_PROBES)},
    )
    # Ordered by the index's half-precision distance; the similarity is the stored vectors'.
    # The width is a type modifier, which cannot be a parameter; it is an int.
    queries = [packed(vector) for vector in vectors]
    width = queries[0].dimensions()
    rows = await session.execute(
        text(
            "WITH q AS (SELECT v, ord FROM unnest(CAST(:vectors AS vector[])) "  # noqa: S608
            "WITH ORDINALITY AS q(v, ord)) "
            "SELECT q.ord, n.id, 1 - n.distance FROM q "
            "CROSS JOIN LATERAL (SELECT c.id, c.embedding <=> q.v AS distance FROM claims c "
            "WHERE c.embedding IS NOT NULL AND c.is_latest AND c.status <> 'retracted' "
            f"ORDER BY CAST(c.embedding AS halfvec({width})) <=> CAST(q.v AS halfvec({width})) "
            "LIMIT 1) AS n WHERE n.distance < :within"
        ),
        {"vectors": queries, "within": 1 - min_similarity},
    )
    nearest: list[tuple[uuid.UUID, float] | None] = [None] * len(vectors)
    for ordinal, claim_id, similarity in rows:
        nearest[ordinal - 1] = (claim_id, float(similarity))
    return nearest


async def insert_rows(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` of ``model`` in one binary COPY (bulk rows of a bundle)."""
    await copy_rows(session, model.__table__, rows)
