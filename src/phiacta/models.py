"""Phiacta's tables (spec §4 plus the [REC] additions). Alembic is the only schema source.

Claims are immutable versions grouped by ``lineage_id``. Which version is the latest is stored,
not computed: ``is_latest`` is switched in the same transaction that inserts the next version,
and a partial unique index allows one latest row per lineage, so ``claims_latest`` (a plain view
over it, defined in the migration) can never show a superseded version and never needs a refresh.

The embedding column's width is chosen when the first migration runs (the configured embedder's
dimension); the ORM declares it without a width so one model fits every deployment.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import numpy as np
from pgvector import Vector as PackedVector
from pgvector.asyncpg import register_vector
from pgvector.sqlalchemy import HALFVEC, Vector
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    Uuid,
    cast,
    event,
    func,
    literal,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, QueryableAttribute, mapped_column
from sqlalchemy.sql.expression import ColumnElement

from servicekit.auth import ApiKeyMixin, Principal
from servicekit.db import naming_metadata
from servicekit.embeddings.local_model import DIMENSION as LOCAL_DIMENSION
from servicekit.events import event_log_table

AGENT_TYPES = ("human", "ai", "organization", "pipeline", "extension")
CLAIM_STATUSES = ("draft", "active", "deprecated", "retracted")
EDGE_CATEGORIES = ("evidential", "logical", "structural", "editorial")
REVIEW_VERDICTS = ("endorse", "dispute", "request_revision", "retract")
# Free-form vocabularies ([REC] §11.1.3) are still constrained to one safe shape.
VOCABULARY_PATTERN = "^[a-z_]+$"


class Embedding(Vector):
    """A ``vector`` column whose values travel in pgvector's binary format.

    asyncpg encodes a ``real[]`` in Python, one type check per float, and pgvector's text format
    formats every float: for a bundle of 500 claims either took the event loop about 0.1 s.
    The binary codec (``send_vectors_binary``, on every connection of the engine) copies each
    vector's memory once.
    """

    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        def process(value: Any) -> PackedVector | None:
            return None if value is None else packed(value)

        return process

    def bind_expression(self, bindvalue: Any) -> Any:
        return cast(bindvalue, Vector())


def half_precision(vectors: Any, width: int) -> Any:
    """``vectors`` (the embedding column, or one vector) as ``halfvec(width)``: the expression
    the vector index is built on (migrations 0003, 0005), so that ordering by a distance
    between two of them is served by the index."""
    if not isinstance(vectors, ColumnElement | QueryableAttribute):
        vectors = literal(vectors, Embedding())
    return cast(vectors, HALFVEC(width))


def packed(value: Any) -> PackedVector:
    """``value`` (a list, tuple or numpy array of floats) as the binary codec's input."""
    if isinstance(value, PackedVector):
        return value
    return PackedVector(value if hasattr(value, "ndim") else list(value))


def packed_rows(matrix: Any) -> list[PackedVector]:
    """Each row of ``matrix`` (vectors of one width) as the binary codec's input: one memory
    copy per row, where a list of floats converts float by float."""
    rows = np.asarray(matrix, dtype=np.float32)
    return [PackedVector(row) for row in rows]


def send_vectors_binary(engine: AsyncEngine) -> None:
    """Install pgvector's binary codec on every connection of ``engine``.

    A connection opened before the schema existed (a replica started before ``migrate``) has no
    ``vector`` type to register; it is tried again at each checkout until it has one.
    """

    def register(dbapi_connection: Any, record: Any) -> None:
        try:
            dbapi_connection.run_async(register_vector)
        except ValueError:  # "unknown type": the schema is not migrated yet
            return
        record.info["vectors_binary"] = True

    def register_late(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if not record.info.get("vectors_binary"):
            register(dbapi_connection, record)

    event.listen(engine.sync_engine, "connect", register)
    event.listen(engine.sync_engine, "checkout", register_late)


class Base(DeclarativeBase):
    metadata = naming_metadata()


def _one_of(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, server_default=text("gen_random_uuid()"))


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _attrs() -> Mapped[dict[str, Any]]:
    return mapped_column(JSONB, server_default=text("'{}'::jsonb"), nullable=False, default=dict)


class Agent(Base):
    """Whoever acts: a person, a model, an organisation, a pipeline or an extension."""

    __tablename__ = "agents"
    __table_args__ = (
        CheckConstraint(_one_of("agent_type", AGENT_TYPES), name="agent_type"),
        CheckConstraint("trust_score >= 0", name="trust_score"),
        Index(
            "ix_agents_external_id",
            "external_id",
            postgresql_where=text("external_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    agent_type: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(Text)
    trust_score: Mapped[float] = mapped_column(Float, server_default=text("1.0"), default=1.0)
    attrs: Mapped[dict[str, Any]] = _attrs()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


TIER_ROLE = "rate_tier:"
"""A key's rate tier travels on its principal as the role ``rate_tier:<tier>``."""


class ApiKey(ApiKeyMixin, Base):
    """An agent's API key (``<prefix>_<public id>_<secret>``; only an HMAC of it is stored)."""

    __tablename__ = "api_keys"

    agent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(Text)
    rate_tier: Mapped[str] = mapped_column(Text, server_default="standard", default="standard")
    """``standard``, ``elevated`` or ``unlimited`` (``phiacta.budgets``); set by an admin."""
    rotated_from: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )

    def to_principal(self) -> Principal:
        principal = super().to_principal()
        return Principal(
            kind=principal.kind,
            subject=str(self.agent_id),
            roles=frozenset({TIER_ROLE + self.rate_tier}),
            scopes=principal.scopes,
            credential_id=principal.credential_id,
        )


class Namespace(Base):
    """A node of the domain hierarchy; ``path`` (``biology.immunology``) is unique ([REC])."""

    __tablename__ = "namespaces"
    __table_args__ = (
        CheckConstraint("name ~ '^[A-Za-z0-9_-]+$'", name="name_segment"),
        Index("ix_namespaces_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text, unique=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("namespaces.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    attrs: Mapped[dict[str, Any]] = _attrs()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class Source(Base):
    """A real-world origin of claims: a paper, a recording, a photo, a dataset..."""

    __tablename__ = "sources"
    __table_args__ = (
        CheckConstraint(f"source_type ~ '{VOCABULARY_PATTERN}'", name="source_type"),
        Index(
            "ix_sources_external_ref",
            "external_ref",
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
        Index(
            "ix_sources_content_hash",
            "content_hash",
            postgresql_where=text("content_hash IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    source_type: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"))
    submitted_at: Mapped[datetime] = _now()
    attrs: Mapped[dict[str, Any]] = _attrs()


class Claim(Base):
    """One immutable version of a claim; ``status`` and ``is_latest`` are its only mutable parts."""

    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("lineage_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        # Version 1 starts a lineage; every later version names the row it replaces.
        CheckConstraint("(version = 1) = (supersedes IS NULL)", name="supersedes_iff_later"),
        CheckConstraint(_one_of("status", CLAIM_STATUSES), name="status"),
        CheckConstraint(f"claim_type ~ '{VOCABULARY_PATTERN}'", name="claim_type"),
        CheckConstraint("char_length(content) BETWEEN 1 AND 10000", name="content_length"),
        Index(
            "uq_claims_one_latest_per_lineage",
            "lineage_id",
            unique=True,
            postgresql_where=text("is_latest"),
        ),
        Index("ix_claims_created_at_id", text("created_at DESC"), text("id DESC")),
        Index(
            "ix_claims_latest_listing",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("is_latest"),
        ),
        Index("ix_claims_search_tsv", "search_tsv", postgresql_using="gin"),
        Index(
            "ix_claims_attrs",
            "attrs",
            postgresql_using="gin",
            postgresql_ops={"attrs": "jsonb_path_ops"},
        ),
        # IVFFlat over half-precision vectors (migration 0005), fed inside each bundle's
        # transaction; the width is the column's (the local encoder's here, as the schema is
        # described once). `phiacta.vectors` re-learns its lists as the claims grow.
        Index(
            "ix_claims_embedding_ivf",
            literal_column(f"(embedding::halfvec({LOCAL_DIMENSION}))").label("half"),
            postgresql_using="ivfflat",
            postgresql_with={"lists": 1},
            postgresql_ops={"half": "halfvec_cosine_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    lineage_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"), default=1)
    supersedes: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claims.id"))
    is_latest: Mapped[bool] = mapped_column(Boolean, server_default=text("true"), default=True)
    claim_type: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    formal_content: Mapped[str | None] = mapped_column(Text)
    namespace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("namespaces.id"), index=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"), index=True)
    status: Mapped[str] = mapped_column(Text, server_default="active", default="active")
    retracted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retraction_reason: Mapped[str | None] = mapped_column(Text)
    # Deferred, like search_tsv: no read needs them on the object, and parsing 384+ floats per
    # row made every claims query (search results, traversal nodes) several times slower.
    embedding: Mapped[Any] = mapped_column(Embedding(), nullable=True, deferred=True)
    embedding_model: Mapped[str | None] = mapped_column(Text)
    """Which model made ``embedding``, so a model change can be detected and re-embedded."""
    search_tsv: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('english'::regconfig, coalesce(content, '') || ' ' || "
            "coalesce(formal_content, ''))",
            persisted=True,
        ),
        deferred=True,
    )
    attrs: Mapped[dict[str, Any]] = _attrs()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class EdgeType(Base):
    """The registry of edge types and the formal properties the API enforces (spec §5)."""

    __tablename__ = "edge_types"
    __table_args__ = (CheckConstraint(_one_of("category", EDGE_CATEGORIES), name="category"),)

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    inverse_name: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    is_transitive: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    is_symmetric: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    is_anti_reflexive: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    is_acyclic: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """A cycle of this type is a contradiction (circular dependency, derivation, containment)."""
    is_hard_dependency: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """Retracting a target flags the sources of such edges for review ([REC] §5)."""


class Edge(Base):
    """A typed, directed assertion between two exact claim versions."""

    __tablename__ = "edges"
    __table_args__ = (
        # Its prefix serves lookups by source (and by source and type: a claim has few edges).
        UniqueConstraint("source_id", "target_id", "edge_type", "created_by"),
        # Every seeded type is anti-reflexive; a self-loop asserts nothing (spec §5 [REC]).
        CheckConstraint("source_id <> target_id", name="no_self_loop"),
        CheckConstraint("strength IS NULL OR strength BETWEEN 0 AND 1", name="strength"),
        Index("ix_edges_target_type", "target_id", "edge_type"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    # Looked up through the unique constraint / ix_edges_target_type, whose prefixes they are.
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"))
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"))
    edge_type: Mapped[str] = mapped_column(ForeignKey("edge_types.name"))
    strength: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"))
    source_provenance: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id"))
    attrs: Mapped[dict[str, Any]] = _attrs()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class Provenance(Base):
    """Claim <-> source, with how and how confidently it was extracted (not whether it is true)."""

    __tablename__ = "provenance"
    __table_args__ = (
        UniqueConstraint("claim_id", "source_id", "extracted_by"),
        CheckConstraint("confidence IS NULL OR confidence BETWEEN 0 AND 1", name="confidence"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"))  # the unique's prefix
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sources.id"), index=True)
    extracted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"))
    extraction_method: Mapped[str | None] = mapped_column(Text)
    location_in_source: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    extracted_at: Mapped[datetime] = _now()
    confidence: Mapped[float | None] = mapped_column(Float)
    attrs: Mapped[dict[str, Any]] = _attrs()


class Review(Base):
    """One reviewer's current verdict on one claim (an upsert; earlier ones in review_history)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("claim_id", "reviewer_id"),
        CheckConstraint(_one_of("verdict", REVIEW_VERDICTS), name="verdict"),
        CheckConstraint("confidence BETWEEN 0 AND 1", name="confidence"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), index=True)
    reviewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"), index=True)
    verdict: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class ReviewHistory(Base):
    """Every verdict a review ever held, so an upsert never loses what was said before."""

    __tablename__ = "review_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    review_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), index=True
    )
    verdict: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _now()


class Bundle(Base):
    """An atomic submission; ``(submitted_by, idempotency_key)`` makes retries safe (§6.4)."""

    __tablename__ = "bundles"
    __table_args__ = (
        UniqueConstraint("submitted_by", "idempotency_key"),
        CheckConstraint(_one_of("status", ("processing", "accepted", "rejected")), name="status"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    idempotency_key: Mapped[str] = mapped_column(Text)
    request_hash: Mapped[str] = mapped_column(Text)
    """sha256 of the canonical JSON body: same key + other body is IDEMPOTENCY_CONFLICT."""
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"))
    extension_id: Mapped[str | None] = mapped_column(Text)
    contributor_id: Mapped[str | None] = mapped_column(Text)
    source_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id"))
    status: Mapped[str] = mapped_column(Text, server_default="accepted")
    claim_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    edge_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    artifact_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """The original answer, replayed for a retry; dropped after 7 days, the row stays."""
    submitted_at: Mapped[datetime] = _now()
    attrs: Mapped[dict[str, Any]] = _attrs()


class Artifact(Base):
    __tablename__ = "artifacts"

    id: Mapped[uuid.UUID] = _uuid_pk()
    bundle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bundles.id"), index=True)
    artifact_type: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    storage_ref: Mapped[str | None] = mapped_column(Text)
    content_inline: Mapped[str | None] = mapped_column(Text)
    structured_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    attrs: Mapped[dict[str, Any]] = _attrs()
    created_at: Mapped[datetime] = _now()


class ArtifactClaim(Base):
    __tablename__ = "artifact_claims"
    __table_args__ = (PrimaryKeyConstraint("artifact_id", "claim_id"),)

    artifact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("artifacts.id", ondelete="CASCADE"))
    claim_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE"), index=True
    )


class PendingReference(Base):
    """An edge whose target (by DOI, arXiv id, URL) is not ingested yet (§6.5)."""

    __tablename__ = "pending_references"
    __table_args__ = (
        CheckConstraint(_one_of("status", ("pending", "resolved", "expired")), name="status"),
        CheckConstraint("strength IS NULL OR strength BETWEEN 0 AND 1", name="strength"),
        Index(
            "ix_pending_references_open",
            "external_ref",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    source_claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), index=True)
    external_ref: Mapped[str] = mapped_column(Text)
    """Normalised (lower case, no ``doi:``/``https://doi.org/``/``arxiv:`` prefix)."""
    edge_type: Mapped[str] = mapped_column(ForeignKey("edge_types.name"))
    strength: Mapped[float | None] = mapped_column(Float)
    bundle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bundles.id"))
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    resolved_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claims.id"))
    resolved_edge_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("edges.id"))
    created_at: Mapped[datetime] = _now()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Extension(Base):
    """A registered extension (§8.1): its manifest, its agent (whose keys it uses), its health."""

    __tablename__ = "extensions"
    __table_args__ = (
        CheckConstraint(_one_of("extension_type", ("input", "output")), name="extension_type"),
        CheckConstraint(_one_of("status", ("active", "degraded", "inactive")), name="status"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    """The manifest's ``extension_id`` (``ext-{name}-v{major}``)."""
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"), unique=True)
    registered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agents.id"))
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(Text)
    extension_type: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="active")
    verified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    last_check_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    registered_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


INGEST_STATUSES = ("queued", "processing", "completed", "failed", "cancelled")


class IngestJob(Base):
    __tablename__ = "ingest_jobs"
    __table_args__ = (
        CheckConstraint(_one_of("status", INGEST_STATUSES), name="status"),
        Index("ix_ingest_jobs_queued", "created_at", postgresql_where=text("status = 'queued'")),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    extension_id: Mapped[str] = mapped_column(ForeignKey("extensions.id"), index=True)
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"))
    source_type: Mapped[str] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    callback_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="queued")
    source_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sources.id"))
    bundle_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bundles.id"))
    claims_created: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    edges_created: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    attrs: Mapped[dict[str, Any]] = _attrs()
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (
        CheckConstraint(_one_of("status", ("active", "failing", "disabled")), name="status"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agents.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    filters: Mapped[dict[str, Any]] = _attrs()
    secret: Mapped[str] = mapped_column(Text)
    """The HMAC-SHA256 signing secret; kept readable because every delivery is signed with it."""
    status: Mapped[str] = mapped_column(Text, server_default="active")
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class WebhookDelivery(Base):
    """One event for one webhook, retried on the spec's schedule (0 s, 30 s, 2 min, 10 min, 1 h)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_seq"),
        CheckConstraint(_one_of("status", ("pending", "succeeded", "failed")), name="status"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event_seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = _now()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EventCursor(Base):
    """How far a consumer of the event log (the webhook fan-out) has read, shared by replicas."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(Text, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    updated_at: Mapped[datetime] = _now()


class AuditEntry(Base):
    """Append-only, hash-chained record of every write (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = _now()
    agent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    request_id: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[str | None] = mapped_column(Text)
    before_hash: Mapped[str | None] = mapped_column(Text)
    after_hash: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text, unique=True)


# One stream ("phiacta") so that the kit's per-stream sequence is a global event id, which
# WebSocket clients resume from (``?since=<event id>``).
event_log = event_log_table(Base.metadata)
EVENT_STREAM = "phiacta"
