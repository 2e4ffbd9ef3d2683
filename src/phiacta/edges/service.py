"""Edge use cases: create under the type's rules, read, list, delete.

Checked on create: the type exists (422 ``EDGE_TYPE_UNKNOWN``), both claims exist, no self-loop
for anti-reflexive types (also a CHECK in the database), no cycle for acyclic types (checked
under a per-type lock), and no second statement of the same symmetric edge the other way round.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.repository import record
from phiacta.edges import repository, rules
from phiacta.edges.schemas import EdgeCreate, EdgePage, EdgeRead, EdgeTypeRead
from phiacta.errors import conflict, error, field_error, forbidden, not_found, validation_failed
from phiacta.models import Edge, EdgeType
from phiacta.pagination import decode_cursor, encode_cursor
from phiacta.scopes import CLAIMS_WRITE
from phiacta.sources import repository as sources


def rules_of(edge_type: EdgeType) -> rules.EdgeTypeRules:
    return rules.EdgeTypeRules(
        name=edge_type.name,
        is_symmetric=edge_type.is_symmetric,
        is_anti_reflexive=edge_type.is_anti_reflexive,
        is_acyclic=edge_type.is_acyclic,
    )


async def known_edge_type(session: AsyncSession, name: str, field: str = "edge_type") -> EdgeType:
    found = await repository.edge_type(session, name)
    if found is None:
        raise error(
            422,
            "EDGE_TYPE_UNKNOWN",
            f"Unknown edge type {name!r}",
            [field_error(field, "EDGE_TYPE_UNKNOWN", f"unknown edge type {name!r}")],
        )
    return found


async def insert_edge(
    session: AsyncSession,
    *,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    edge_type: str,
    created_by: uuid.UUID,
    strength: float | None = None,
    source_provenance: uuid.UUID | None = None,
    attrs: dict[str, Any] | None = None,
) -> Edge:
    """Insert without the graph checks: for edges the system itself derives (``supersedes``)."""
    edge = Edge(
        source_id=source_id,
        target_id=target_id,
        edge_type=edge_type,
        created_by=created_by,
        strength=strength,
        source_provenance=source_provenance,
        attrs=attrs or {},
    )
    session.add(edge)
    await session.flush()
    await session.refresh(edge)
    return edge


async def create_edge(session: AsyncSession, data: EdgeCreate, actor: Actor) -> Edge:
    edge_type = await known_edge_type(session, data.edge_type)
    type_rules = rules_of(edge_type)
    problems = []
    loop = rules.self_loop_error(type_rules, data.source_id, data.target_id)
    if loop:
        problems.append(field_error("target_id", "ANTI_REFLEXIVE", loop))
    present = await repository.existing_claims(session, {data.source_id, data.target_id})
    for field in ("source_id", "target_id"):
        if getattr(data, field) not in present:
            problems.append(
                field_error(field, "UNRESOLVED_REFERENCE", f"no claim {getattr(data, field)}")
            )
    if data.source_provenance is not None and (
        await sources.get(session, data.source_provenance) is None
    ):
        problems.append(field_error("source_provenance", "UNRESOLVED_REFERENCE", "no such source"))
    if problems:
        raise validation_failed(problems)
    if rules.needs_cycle_check(type_rules):
        await repository.lock_edge_type(session, edge_type.name)
        if await repository.reaches(session, data.target_id, data.source_id, edge_type.name):
            raise validation_failed(
                [field_error("target_id", "CYCLE", rules.cycle_message(type_rules))]
            )
    if rules.reverse_duplicate_matters(type_rules) and await repository.same_pair_exists(
        session, data.target_id, data.source_id, edge_type.name, actor.agent_id
    ):
        raise conflict(
            f"This {edge_type.name} edge already exists the other way round (it is symmetric)"
        )
    try:
        async with session.begin_nested():
            edge = await insert_edge(
                session,
                source_id=data.source_id,
                target_id=data.target_id,
                edge_type=edge_type.name,
                created_by=actor.agent_id,
                strength=data.strength,
                source_provenance=data.source_provenance,
                attrs=data.attrs,
            )
    except IntegrityError:
        raise conflict("You already asserted this edge") from None
    await record(
        session,
        actor,
        "edge.create",
        "edge",
        edge.id,
        after=EdgeRead.model_validate(edge).model_dump(),
    )
    return edge


async def get_edge(session: AsyncSession, edge_id: uuid.UUID) -> Edge:
    edge = await repository.get(session, edge_id)
    if edge is None:
        raise not_found("Edge", edge_id)
    return edge


async def delete_edge(session: AsyncSession, edge_id: uuid.UUID, actor: Actor) -> None:
    edge = await get_edge(session, edge_id)
    if edge.created_by != actor.agent_id and not actor.can(CLAIMS_WRITE):
        raise forbidden("Only the edge's creator, or claims:write, may delete it")
    if edge.edge_type == "supersedes":
        raise conflict("supersedes edges record a claim's version history and are kept")
    before = EdgeRead.model_validate(edge).model_dump()
    await session.delete(edge)
    await session.flush()
    await record(session, actor, "edge.delete", "edge", edge_id, before=before)


async def list_page(
    session: AsyncSession,
    *,
    claim_id: uuid.UUID | None,
    direction: str,
    edge_types: list[str],
    stale: bool,
    cursor: str | None,
    limit: int,
) -> EdgePage:
    after = None
    if cursor:
        key = decode_cursor(cursor, ("at", "id"))
        after = (datetime.fromisoformat(key["at"]), uuid.UUID(key["id"]))
    rows = await repository.page(
        session,
        claim_id=claim_id,
        direction=direction,
        edge_types_filter=edge_types,
        stale=stale,
        after=after,
        limit=limit + 1,
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if has_more else None
    return EdgePage(
        edges=[EdgeRead.model_validate(row) for row in rows],
        next_cursor=encode_cursor({"at": last.created_at.isoformat(), "id": str(last.id)})
        if last
        else None,
        has_more=has_more,
    )


async def list_edge_types(session: AsyncSession, category: str | None) -> list[EdgeTypeRead]:
    return [
        EdgeTypeRead.model_validate(row) for row in await repository.edge_types(session, category)
    ]
