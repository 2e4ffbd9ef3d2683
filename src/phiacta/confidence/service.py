"""Confidence use cases: gather reviews (and, for evidence_chain, the direct evidence's
reviews), then apply the pure models of ``confidence.aggregation``."""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.claims import repository as claims
from phiacta.confidence import aggregation
from phiacta.confidence.aggregation import EvidenceInput, Model, ReviewInput
from phiacta.confidence.schemas import (
    Bucket,
    Components,
    Confidence,
    ConfidenceOut,
    DistributionBody,
    DistributionOut,
    TypeStats,
)
from phiacta.errors import claim_not_found
from phiacta.models import Agent, Claim, Edge, Review
from servicekit.db import Database


async def _reviews(
    session: AsyncSession,
    claim_ids: list[uuid.UUID],
    trust_profile: Mapping[uuid.UUID, float],
    reviewer_types: frozenset[str],
) -> dict[uuid.UUID, list[ReviewInput]]:
    query = (
        select(Review.claim_id, Review.verdict, Review.confidence, Agent.id, Agent.trust_score,
               Agent.agent_type)
        .join(Agent, Agent.id == Review.reviewer_id)
        .where(Review.claim_id.in_(claim_ids))
    )  # fmt: skip
    if reviewer_types:
        query = query.where(Agent.agent_type.in_(reviewer_types))
    grouped: dict[uuid.UUID, list[ReviewInput]] = {claim_id: [] for claim_id in claim_ids}
    for claim_id, verdict, confidence, agent_id, trust, agent_type in await session.execute(query):
        grouped[claim_id].append(
            ReviewInput(verdict, confidence, trust_profile.get(agent_id, trust), agent_type)
        )
    return grouped


class ConfidenceService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def confidence(
        self,
        claim_id: uuid.UUID,
        model: Model,
        *,
        trust_profile: Mapping[uuid.UUID, float],
        reviewer_types: frozenset[str],
    ) -> ConfidenceOut:
        async with self.db.session() as session:
            claim = await claims.get(session, claim_id)
            if claim is None:
                raise claim_not_found(claim_id)
            evidence: list[EvidenceInput] = []
            if model == "evidence_chain":
                evidence = await self._direct_evidence(
                    session, claim_id, trust_profile, reviewer_types
                )
            reviews = (await _reviews(session, [claim_id], trust_profile, reviewer_types))[claim_id]
            extraction = [
                p.confidence
                for p in await claims.provenance_of(session, claim_id)
                if p.confidence is not None
            ]
        result = aggregation.confidence(model, reviews, evidence)
        return ConfidenceOut(
            claim_id=claim_id,
            computed_at=datetime.now(UTC),
            model=model,
            confidence=Confidence(
                score=result.score,
                lower_bound=result.lower_bound,
                upper_bound=result.upper_bound,
                components=Components(
                    review_based=result.review_based,
                    evidence_based=result.evidence_based,
                    provenance_factor=statistics.fmean(extraction) if extraction else None,
                ),
            ),
            reviews_considered=result.reviews_considered,
            evidence_chains_considered=result.evidence_considered,
            caveats=_caveats(claim, reviews, trust_profile),
        )

    async def _direct_evidence(
        self,
        session: AsyncSession,
        claim_id: uuid.UUID,
        trust_profile: Mapping[uuid.UUID, float],
        reviewer_types: frozenset[str],
    ) -> list[EvidenceInput]:
        rows = (
            await session.execute(
                select(Edge.source_id, Edge.edge_type)
                .join(Claim, Claim.id == Edge.source_id)
                .where(
                    Edge.target_id == claim_id,
                    Edge.edge_type.in_(("supports", "corroborates", "contradicts")),
                    Claim.status != "retracted",
                )
            )
        ).all()
        by_claim = await _reviews(session, [r[0] for r in rows], trust_profile, reviewer_types)
        evidence = []
        for source_id, edge_type in rows:
            score = aggregation.weighted_reviewer(by_claim[source_id])
            if score is not None:
                evidence.append(EvidenceInput(score, supports=edge_type != "contradicts"))
        return evidence

    async def distribution(self, claim_id: uuid.UUID) -> DistributionOut:
        async with self.db.session() as session:
            if await claims.get(session, claim_id) is None:
                raise claim_not_found(claim_id)
            reviews = (await _reviews(session, [claim_id], {}, frozenset()))[claim_id]
        spread = aggregation.distribution(reviews)
        return DistributionOut(
            claim_id=claim_id,
            distribution=DistributionBody(
                buckets=[Bucket(range=(lo, hi), count=n) for lo, hi, n in spread.buckets],
                mean=spread.mean,
                median=spread.median,
                std_dev=spread.std_dev,
            ),
            by_reviewer_type={
                kind: TypeStats(mean=mean, count=count)
                for kind, (mean, count) in spread.by_reviewer_type.items()
            },
        )


def _caveats(
    claim: Claim, reviews: list[ReviewInput], trust_profile: Mapping[uuid.UUID, float]
) -> list[str]:
    caveats = []
    if claim.status == "retracted":
        caveats.append("the claim is retracted")
    if not reviews:
        caveats.append("no reviews: the score is unknown")
    neutral = sum(1 for r in reviews if aggregation.truth_probability(r) is None)
    if neutral:
        caveats.append(f"{neutral} request_revision review(s) take no side and were not scored")
    untrusted = sum(1 for r in reviews if r.trust <= 0)
    if untrusted:
        caveats.append(f"{untrusted} review(s) from zero-trust reviewers excluded")
    if trust_profile:
        caveats.append("reviewer trust overridden by the request's trust profile")
    return caveats
