"""Claim use cases; each write is one transaction with its audit entry and its event.

Versioning (spec §4.2): an edit inserts version N+1 of the lineage, marks version N
``deprecated`` and no longer latest, and links the two with a ``supersedes`` edge, all in one
transaction holding a row lock on version N, so two concurrent edits cannot both succeed.
Embeddings are computed before the transaction opens (a slow provider holds no locks); when the
provider fails the claim is stored without a vector and semantic search skips it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.repository import record
from phiacta.claims import repository
from phiacta.claims.includes import parse_includes
from phiacta.claims.repository import ClaimFilters
from phiacta.claims.schemas import (
    AgentRef,
    ArtifactRead,
    ClaimCreate,
    ClaimPage,
    ClaimRead,
    ClaimRetract,
    ClaimRetracted,
    ClaimUpdate,
    LineageEntry,
    NamespaceRef,
    ProvenanceRead,
    ReviewRead,
)
from phiacta.claims.text import embedding_text
from phiacta.edges import repository as edges_repository
from phiacta.edges.schemas import EdgeRead
from phiacta.edges.service import insert_edge
from phiacta.errors import claim_not_found, error, field_error, forbidden, validation_failed
from phiacta.models import EVENT_STREAM, Claim, PackedVector, Provenance, packed_rows
from phiacta.namespaces import service as namespaces
from phiacta.pagination import decode_cursor, encode_cursor
from phiacta.scopes import BUNDLES_WRITE, CLAIMS_WRITE
from phiacta.sources import repository as sources
from servicekit.db import Database
from servicekit.embeddings import Embedder, EmbeddingError
from servicekit.events import EventLog
from servicekit.logging import get_logger

log = get_logger("phiacta.claims")


async def embed_claims(
    embedder: Embedder, claims: Iterable[tuple[str, str | None]]
) -> list[PackedVector | None]:
    """The vectors of ``(content, formal_content)`` pairs, ready for the database's binary
    format (converted once, not once per use); all None when the embedder fails, so that claims
    are still stored (and found by full-text search) without one."""
    texts = [embedding_text(content, formal) for content, formal in claims]
    try:
        vectors = await embedder.embed(texts)
    except EmbeddingError as exc:
        log.warning("claims stored without embeddings", count=len(texts), error=str(exc))
        return [None] * len(texts)
    return [*packed_rows(vectors)]


class ClaimService:
    def __init__(self, db: Database, embedder: Embedder, events: EventLog) -> None:
        self.db = db
        self.embedder = embedder
        self.events = events

    async def _embed(self, content: str, formal_content: str | None) -> PackedVector | None:
        (vector,) = await embed_claims(self.embedder, [(content, formal_content)])
        return vector

    # -- reads ---------------------------------------------------------------------------

    async def get(
        self, claim_id: uuid.UUID, *, version: int | None = None, include: list[str] = ()
    ) -> ClaimRead:
        wanted = parse_includes(include)
        async with self.db.session() as session:
            claim = await repository.get(session, claim_id)
            if claim is None:
                raise claim_not_found(claim_id)
            if version is not None and version != claim.version:
                found = await repository.version_of(session, claim.lineage_id, version)
                if found is None:
                    raise error(
                        404,
                        "VERSION_NOT_FOUND",
                        f"Claim {claim_id} has no version {version}",
                        {"lineage_id": str(claim.lineage_id), "version": version},
                    )
                claim = found
            (read,) = await self.reads(session, [claim])
            return await self._with_includes(session, read, claim, wanted)

    async def list(
        self, filters: ClaimFilters, *, cursor: str | None, limit: int, include: list[str] = ()
    ) -> ClaimPage:
        wanted = parse_includes(include)
        after = None
        if cursor:
            key = decode_cursor(cursor, ("at", "id"))
            after = (datetime.fromisoformat(key["at"]), uuid.UUID(key["id"]))
        async with self.db.session() as session:
            rows = await repository.page(session, filters, after=after, limit=limit + 1)
            total = await repository.count(session, filters)
            has_more = len(rows) > limit
            rows = rows[:limit]
            reads = await self.reads(session, rows)
            if wanted:
                reads = [
                    await self._with_includes(session, read, row, wanted)
                    for read, row in zip(reads, rows, strict=True)
                ]
        last = rows[-1] if has_more else None
        return ClaimPage(
            claims=reads,
            total_count=total,
            next_cursor=encode_cursor({"at": last.created_at.isoformat(), "id": str(last.id)})
            if last
            else None,
            has_more=has_more,
        )

    async def reads(self, session: AsyncSession, claims: list[Claim]) -> list[ClaimRead]:
        """Claims as the API shows them (namespace and author resolved in two queries)."""
        spaces = await repository.namespaces_by_id(session, (c.namespace_id for c in claims))
        agents = await repository.agents_by_id(session, (c.created_by for c in claims))
        reads = []
        for claim in claims:
            space = spaces.get(claim.namespace_id)
            agent = agents[claim.created_by]
            reads.append(
                ClaimRead(
                    id=claim.id,
                    lineage_id=claim.lineage_id,
                    version=claim.version,
                    content=claim.content,
                    claim_type=claim.claim_type,
                    namespace=NamespaceRef(id=space.id, name=space.name, path=space.path)
                    if space
                    else None,
                    formal_content=claim.formal_content,
                    attrs=claim.attrs,
                    status=claim.status,
                    supersedes=claim.supersedes,
                    created_at=claim.created_at,
                    created_by=AgentRef(id=agent.id, name=agent.name, type=agent.agent_type),
                    is_latest=claim.is_latest,
                    is_retracted=claim.status == "retracted",
                    retraction_reason=claim.retraction_reason,
                    embedding_model=claim.embedding_model,
                )
            )
        return reads

    async def _with_includes(
        self, session: AsyncSession, read: ClaimRead, claim: Claim, wanted: frozenset[str]
    ) -> ClaimRead:
        extra: dict[str, Any] = {}
        if "provenance" in wanted:
            rows = await repository.provenance_of(session, claim.id)
            extra["provenance"] = [ProvenanceRead.model_validate(row) for row in rows]
        if "edges" in wanted:
            rows = await edges_repository.edges_of_claims(session, [claim.id])
            extra["edges"] = [EdgeRead.model_validate(row) for row in rows]
        if "reviews" in wanted:
            rows = await repository.reviews_of(session, claim.id)
            extra["reviews"] = [ReviewRead.model_validate(row) for row in rows]
        if "artifacts" in wanted:
            rows = await repository.artifacts_of(session, claim.id)
            extra["artifacts"] = [ArtifactRead.model_validate(row) for row in rows]
        if "lineage" in wanted:
            rows = await repository.lineage(session, claim.lineage_id)
            extra["lineage"] = [LineageEntry.model_validate(row) for row in rows]
        return read.model_copy(update=extra)

    # -- writes --------------------------------------------------------------------------

    async def create(self, data: ClaimCreate, actor: Actor) -> ClaimRead:
        vector = await self._embed(data.content, data.formal_content)
        async with self.db.session() as session:
            namespace = await namespaces.resolve(
                session, data.namespace, create_missing=data.create_namespace
            )
            if data.source_id is not None and await sources.get(session, data.source_id) is None:
                raise validation_failed(
                    [field_error("source_id", "UNRESOLVED_REFERENCE", "no such source")]
                )
            claim = Claim(
                lineage_id=uuid.uuid4(),
                version=1,
                claim_type=data.claim_type,
                content=data.content,
                formal_content=data.formal_content,
                namespace_id=namespace.id,
                created_by=actor.agent_id,
                status=data.status,
                attrs=data.attrs,
                embedding=vector,
                embedding_model=self.embedder.model_name if vector is not None else None,
            )
            session.add(claim)
            await session.flush()
            await session.refresh(claim)
            if data.source_id is not None:
                self._add_provenance(
                    session, claim, data.source_id, actor, data.extraction_confidence
                )
            await record(session, actor, "claim.create", "claim", claim.id, after=_audit(claim))
            await self.events.publish(
                session,
                EVENT_STREAM,
                "claim_created",
                {
                    "claim_id": str(claim.id),
                    "content": claim.content,
                    "claim_type": claim.claim_type,
                    "namespace": namespace.path,
                    "bundle_id": None,
                },
            )
            (read,) = await self.reads(session, [claim])
            return read

    def _add_provenance(
        self,
        session: AsyncSession,
        claim: Claim,
        source_id: uuid.UUID,
        actor: Actor,
        confidence: float | None,
    ) -> None:
        session.add(
            Provenance(
                claim_id=claim.id,
                source_id=source_id,
                extracted_by=actor.agent_id,
                extraction_method=claim.attrs.get("extraction_method"),
                confidence=confidence,
            )
        )

    async def _check_owner(self, session: AsyncSession, claim: Claim, actor: Actor) -> None:
        if actor.can(CLAIMS_WRITE):
            return
        owner = await repository.first_author(session, claim.lineage_id)
        if not (actor.can(BUNDLES_WRITE) and owner == actor.agent_id):
            raise forbidden("Needs claims:write, or bundles:write as the lineage's author")

    async def update(self, claim_id: uuid.UUID, data: ClaimUpdate, actor: Actor) -> ClaimRead:
        async with self.db.session() as session:
            current = await repository.get(session, claim_id)
            if current is None:
                raise claim_not_found(claim_id)
            content = data.content if data.content is not None else current.content
            fields = data.model_fields_set
            formal = data.formal_content if "formal_content" in fields else current.formal_content
            text_changed = (content, formal) != (current.content, current.formal_content)
        vector = await self._embed(content, formal) if text_changed else None
        async with self.db.session() as session:
            old = await repository.get(session, claim_id, lock=True)
            assert old is not None  # claims are never deleted
            if not old.is_latest:
                latest = await repository.lineage(session, old.lineage_id)
                raise error(
                    409,
                    "CONCURRENT_MODIFICATION",
                    "Only the latest version of a claim can be edited",
                    {"latest_id": str(latest[-1].id), "latest_version": latest[-1].version},
                )
            if old.status == "retracted":
                raise error(409, "CONFLICT", "A retracted claim cannot be edited")
            await self._check_owner(session, old, actor)
            if data.source_id is not None and await sources.get(session, data.source_id) is None:
                raise validation_failed(
                    [field_error("source_id", "UNRESOLVED_REFERENCE", "no such source")]
                )
            old.is_latest = False
            old.status = "deprecated"
            old.updated_at = datetime.now(UTC)
            # The old row must stop being latest before the new one is inserted: one latest
            # row per lineage is a unique index.
            await session.flush()
            new = Claim(
                lineage_id=old.lineage_id,
                version=old.version + 1,
                supersedes=old.id,
                claim_type=old.claim_type,
                content=content,
                formal_content=formal,
                namespace_id=old.namespace_id,
                created_by=actor.agent_id,
                status="active",
                attrs=data.attrs if data.attrs is not None else old.attrs,
                embedding=vector
                if text_changed
                else await repository.embedding_of(session, old.id),
                embedding_model=(
                    (self.embedder.model_name if vector is not None else None)
                    if text_changed
                    else old.embedding_model
                ),
            )
            session.add(new)
            await session.flush()
            await session.refresh(new)
            await insert_edge(
                session,
                source_id=new.id,
                target_id=old.id,
                edge_type="supersedes",
                created_by=actor.agent_id,
                attrs={"reason": data.reason} if data.reason else {},
            )
            if data.source_id is not None:
                self._add_provenance(session, new, data.source_id, actor, None)
            await record(
                session,
                actor,
                "claim.update",
                "claim",
                new.id,
                before=_audit(old),
                after=_audit(new),
            )
            await self.events.publish(
                session,
                EVENT_STREAM,
                "claim_updated",
                {
                    "old_id": str(old.id),
                    "new_id": str(new.id),
                    "lineage_id": str(new.lineage_id),
                    "version": new.version,
                    "diff": _diff(old, new),
                    "reason": data.reason,
                },
            )
            (read,) = await self.reads(session, [new])
            return read

    async def retract(
        self, claim_id: uuid.UUID, data: ClaimRetract, actor: Actor
    ) -> ClaimRetracted:
        async with self.db.session() as session:
            claim = await repository.get(session, claim_id, lock=True)
            if claim is None:
                raise claim_not_found(claim_id)
            await self._check_owner(session, claim, actor)
            if claim.status == "retracted":  # retracting twice changes nothing
                return ClaimRetracted(id=claim.id, retraction_edge_id=None)
            notice_id = data.retraction_source_id
            if notice_id is not None and await repository.get(session, notice_id) is None:
                raise validation_failed(
                    [field_error("retraction_source_id", "UNRESOLVED_REFERENCE", "no such claim")]
                )
            before = _audit(claim)
            claim.status = "retracted"
            claim.retracted_at = claim.updated_at = datetime.now(UTC)
            claim.retraction_reason = data.reason
            await session.flush()
            edge_id = None
            if notice_id is not None and notice_id != claim.id:
                edge = await insert_edge(
                    session,
                    source_id=notice_id,
                    target_id=claim.id,
                    edge_type="responds_to",
                    created_by=actor.agent_id,
                    attrs={"retraction": True},
                )
                edge_id = edge.id
            await record(
                session,
                actor,
                "claim.retract",
                "claim",
                claim.id,
                before=before,
                after=_audit(claim),
            )
            await self.events.publish(
                session,
                EVENT_STREAM,
                "claim_retracted",
                {"claim_id": str(claim.id), "reason": data.reason},
            )
            return ClaimRetracted(id=claim.id, retraction_edge_id=edge_id)


def _audit(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.id,
        "lineage_id": claim.lineage_id,
        "version": claim.version,
        "status": claim.status,
        "content": claim.content,
        "formal_content": claim.formal_content,
        "attrs": claim.attrs,
    }


def _diff(old: Claim, new: Claim) -> dict[str, Any]:
    changed = {}
    for name in ("content", "formal_content", "attrs"):
        if getattr(old, name) != getattr(new, name):
            changed[name] = {"old": getattr(old, name), "new": getattr(new, name)}
    return changed
