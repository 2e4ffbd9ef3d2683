"""Views ([REC] §11.2.9): composed reads for output extensions.

- ``lineage``: every version of the root claim's lineage, oldest first.
- ``proof_tree``: what the root rests on: outgoing depends_on / derives_from / assumes /
  implies edges, breadth first (``options.max_depth``, default 5).
- ``evidence_map``: the evidence chains into the root (``options.depth``, default 2).
- ``paper``: the root is a source; its claims grouped by ``attrs.section`` (in a paper's reading
  order), with artifacts.
- ``comparison``: the root and ``options.sources`` are sources; each claim of the root paired
  with the most similar claim of every other source (cosine, ``options.min_similarity`` 0.7).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import aliased

from phiacta.claims import repository as claims_repository
from phiacta.claims.schemas import ArtifactRead
from phiacta.claims.service import ClaimService
from phiacta.errors import claim_not_found, error, field_error, not_found, validation_failed
from phiacta.evidence.service import EvidenceService
from phiacta.models import Claim, Provenance, Source
from phiacta.query.schemas import TraverseRequest
from phiacta.query.service import QueryService
from servicekit.db import Database

ViewType = Literal["paper", "proof_tree", "comparison", "evidence_map", "lineage"]
PROOF_TYPES = ["depends_on", "derives_from", "assumes", "implies"]
# A paper's sections in reading order; others follow alphabetically, unsectioned claims last.
SECTION_ORDER = ("abstract", "introduction", "background", "methods", "results", "discussion",
                 "conclusion")  # fmt: skip


def section_key(name: str) -> tuple[int, str]:
    if name in SECTION_ORDER:
        return SECTION_ORDER.index(name), ""
    return len(SECTION_ORDER) + (name == "unsectioned"), name


class ViewRequest(BaseModel):
    view_type: ViewType
    root: uuid.UUID
    options: dict[str, Any] = Field(default_factory=dict)


class ViewResponse(BaseModel):
    view_type: ViewType
    root: uuid.UUID
    data: dict[str, Any]


def _int_option(options: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = options.get(name, default)
    if not isinstance(value, int) or not low <= value <= high:
        raise validation_failed(
            [field_error(f"options.{name}", "RANGE", f"an integer from {low} to {high}")]
        )
    return value


class ViewService:
    def __init__(
        self, db: Database, claims: ClaimService, query: QueryService, evidence: EvidenceService
    ) -> None:
        self.db = db
        self.claims = claims
        self.query = query
        self.evidence = evidence

    async def view(self, request: ViewRequest) -> ViewResponse:
        options = request.options
        if request.view_type == "lineage":
            data = await self._lineage(request.root)
        elif request.view_type == "proof_tree":
            depth = _int_option(options, "max_depth", 5, 1, self.query.max_depth)
            tree = await self.query.traverse(
                TraverseRequest(
                    start=request.root, direction="outgoing", edge_types=PROOF_TYPES,
                    max_depth=depth, max_nodes=1000,
                )
            )  # fmt: skip
            data = tree.model_dump(mode="json")
        elif request.view_type == "evidence_map":
            depth = _int_option(options, "depth", 2, 1, 5)
            found = await self.evidence.evidence(
                request.root,
                relationship=None,
                min_strength=0.0,
                depth=depth,
                include_retracted=False,
            )
            data = found.model_dump(mode="json")
        elif request.view_type == "paper":
            data = await self._paper(request.root)
        else:
            data = await self._comparison(request.root, options)
        return ViewResponse(view_type=request.view_type, root=request.root, data=data)

    async def _lineage(self, root: uuid.UUID) -> dict[str, Any]:
        async with self.db.session() as session:
            claim = await claims_repository.get(session, root)
            if claim is None:
                raise claim_not_found(root)
            versions = await claims_repository.lineage(session, claim.lineage_id)
            reads = await self.claims.reads(session, versions)
        return {
            "lineage_id": str(claim.lineage_id),
            "versions": [read.model_dump(mode="json") for read in reads],
        }

    async def _source_claims(self, source_id: uuid.UUID) -> list[Claim]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Claim)
                .join(Provenance, Provenance.claim_id == Claim.id)
                .where(Provenance.source_id == source_id, Claim.is_latest)
                .order_by(Claim.created_at, Claim.id)
            )
            return list(rows)

    async def _paper(self, source_id: uuid.UUID) -> dict[str, Any]:
        async with self.db.session() as session:
            source = await session.get(Source, source_id)
            if source is None:
                raise not_found("Source", source_id)
            rows = list(
                await session.scalars(
                    select(Claim)
                    .join(Provenance, Provenance.claim_id == Claim.id)
                    .where(Provenance.source_id == source_id)
                    .order_by(Claim.created_at, Claim.id)
                )
            )
            reads = await self.claims.reads(session, rows)
            artifacts: dict[uuid.UUID, ArtifactRead] = {}
            for row in rows:
                for artifact in await claims_repository.artifacts_of(session, row.id):
                    artifacts[artifact.id] = ArtifactRead.model_validate(artifact)
        sections: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row, read in zip(rows, reads, strict=True):
            section = row.attrs.get("section")
            sections[section if isinstance(section, str) else "unsectioned"].append(
                read.model_dump(mode="json")
            )
        return {
            "source": {
                "id": str(source.id),
                "title": source.title,
                "source_type": source.source_type,
                "external_ref": source.external_ref,
            },
            "sections": [
                {"section": name, "claims": sections[name]}
                for name in sorted(sections, key=section_key)
            ],
            "artifacts": [a.model_dump(mode="json") for a in artifacts.values()],
        }

    async def _comparison(self, root: uuid.UUID, options: dict[str, Any]) -> dict[str, Any]:
        others = options.get("sources")
        if not isinstance(others, list) or not others:
            raise validation_failed(
                [field_error("options.sources", "REQUIRED", "the sources to compare with")]
            )
        try:
            other_ids = [uuid.UUID(str(value)) for value in others]
        except ValueError:
            raise error(400, "INVALID_PARAMETER", "options.sources must be UUIDs") from None
        threshold = options.get("min_similarity", 0.7)
        base = await self._source_claims(root)
        if not base:
            raise not_found("Claims of source", root)
        alignments = []
        async with self.db.session() as session:
            for claim in base:
                row: dict[str, Any] = {"claim_id": str(claim.id), "content": claim.content}
                for other in other_ids:
                    row[str(other)] = await self._closest(session, claim, other, threshold)
                alignments.append(row)
        return {
            "root_source": str(root),
            "sources": [str(o) for o in other_ids],
            "rows": alignments,
        }

    async def _closest(
        self, session: Any, claim: Claim, source_id: uuid.UUID, threshold: float
    ) -> dict[str, Any] | None:
        # The claim's own vector stays in the database (the column is deferred); a claim
        # without one makes every distance NULL, which answers None below.
        own = aliased(Claim)
        distance = Claim.embedding.cosine_distance(
            select(own.embedding).where(own.id == claim.id).scalar_subquery()
        )
        found = (
            await session.execute(
                select(Claim.id, Claim.content, distance)
                .join(Provenance, Provenance.claim_id == Claim.id)
                .where(
                    Provenance.source_id == source_id,
                    Claim.is_latest,
                    Claim.embedding.is_not(None),
                )
                .order_by(distance)
                .limit(1)
            )
        ).first()
        if found is None or found[2] is None or 1 - found[2] < threshold:
            return None
        return {
            "claim_id": str(found[0]),
            "content": found[1],
            "similarity": round(1 - found[2], 4),
        }
