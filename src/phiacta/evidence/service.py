"""Evidence use cases: read the chains into a claim, link a new piece of evidence."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from phiacta.actor import Actor
from phiacta.claims import repository as claims
from phiacta.claims.service import ClaimService
from phiacta.edges import service as edges
from phiacta.edges.schemas import EdgeCreate, EdgeRead
from phiacta.errors import claim_not_found
from phiacta.evidence import repository
from phiacta.evidence.schemas import (
    RELATIONSHIPS,
    EvidenceGroups,
    EvidenceItem,
    EvidenceLink,
    EvidenceLinked,
    EvidenceOut,
    Relationship,
)
from phiacta.evidence.summary import summarize
from phiacta.models import EVENT_STREAM, Claim, Edge
from servicekit.db import Database
from servicekit.events import EventLog


class EvidenceService:
    def __init__(self, db: Database, claims: ClaimService, events: EventLog) -> None:
        self.db = db
        self.claims = claims
        self.events = events

    async def evidence(
        self,
        claim_id: uuid.UUID,
        *,
        relationship: Relationship | None,
        min_strength: float,
        depth: int,
        include_retracted: bool,
    ) -> EvidenceOut:
        types = [relationship] if relationship else list(RELATIONSHIPS)
        async with self.db.session() as session:
            if await claims.get(session, claim_id) is None:
                raise claim_not_found(claim_id)
            links = await repository.chain(
                session,
                claim_id,
                edge_types=types,
                min_strength=min_strength,
                max_depth=depth,
                include_retracted=include_retracted,
            )
            depth_of = {link.edge_id: link.depth for link in links}
            found = list(await session.scalars(select(Edge).where(Edge.id.in_(depth_of))))
            found.sort(key=lambda edge: (depth_of[edge.id], edge.created_at, edge.id))
            sources = {
                row.id: row
                for row in await session.scalars(
                    select(Claim).where(Claim.id.in_({edge.source_id for edge in found}))
                )
            }
            reads = {
                read.id: read for read in await self.claims.reads(session, list(sources.values()))
            }
        groups = EvidenceGroups()
        for edge in found:
            getattr(groups, edge.edge_type).append(
                EvidenceItem(
                    claim=reads[edge.source_id],
                    edge=EdgeRead.model_validate(edge),
                    chain_depth=depth_of[edge.id],
                )
            )
        summary = summarize([(e.edge_type, e.strength, depth_of[e.id]) for e in found])
        return EvidenceOut(claim_id=claim_id, evidence=groups, summary=summary)

    async def link(self, claim_id: uuid.UUID, data: EvidenceLink, actor: Actor) -> EvidenceLinked:
        async with self.db.session() as session:
            if await claims.get(session, claim_id) is None:
                raise claim_not_found(claim_id)
            edge = await edges.create_edge(
                session,
                EdgeCreate(
                    source_id=data.source_claim_id,
                    target_id=claim_id,
                    edge_type=data.relationship,
                    strength=data.strength,
                    attrs=data.attrs,
                ),
                actor,
            )
            await self.events.publish(
                session,
                EVENT_STREAM,
                "evidence_linked",
                {
                    "source_id": str(edge.source_id),
                    "target_id": str(edge.target_id),
                    "relationship": edge.edge_type,
                    "edge_id": str(edge.id),
                },
            )
            return EvidenceLinked(
                edge_id=edge.id,
                source_id=edge.source_id,
                target_id=edge.target_id,
                edge_type=edge.edge_type,
                strength=edge.strength,
            )
