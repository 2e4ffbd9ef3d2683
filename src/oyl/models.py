"""Oyl's tables. Alembic (``oyl/migrations``) is the only schema source.

Every row carries ``tenant_id``, and every child points at its parent through a composite
foreign key ``(tenant_id, parent_id) -> parent (tenant_id, id)``: the database itself refuses a
row of tenant A under a parent of tenant B, so even a faulty query cannot graft one tenant's data
into another's tree. Deleting a parent deletes its children (ON DELETE CASCADE).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.auth import ApiKeyMixin, Principal, RefreshTokenMixin
from servicekit.db import naming_metadata
from servicekit.jobs import JobMixin

ROLE_NAMES = ("owner", "admin", "editor", "member", "viewer")


class Base(DeclarativeBase):
    metadata = naming_metadata()


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _tenant() -> Mapped[uuid.UUID]:
    return mapped_column(
        Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False
    )


def _under(parent: str, column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{parent}.tenant_id", f"{parent}.id"], ondelete="CASCADE"
    )


def _role_check(column: str = "role") -> CheckConstraint:
    names = ", ".join(f"'{name}'" for name in ROLE_NAMES)
    return CheckConstraint(f"{column} IN ({names})", name=f"{column}_known")


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = _id()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    max_documents: Mapped[int] = mapped_column(Integer)
    max_storage_bytes: Mapped[int] = mapped_column(BigInteger)
    max_tokens_per_day: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = _id()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    """Stored lower-cased: one account per address."""
    display_name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(Text)
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = _now()


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (_role_check(),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = _now()


class RefreshToken(RefreshTokenMixin, Base):
    __tablename__ = "refresh_tokens"


class ApiKey(ApiKeyMixin, Base):
    """A tenant's API key: acts in that tenant with ``role``, whoever presents it."""

    __tablename__ = "api_keys"
    __table_args__ = (_role_check(),)

    tenant_id: Mapped[uuid.UUID] = _tenant()
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    def to_principal(self) -> Principal:
        return replace(
            super().to_principal(), tenant_id=str(self.tenant_id), roles=frozenset({self.role})
        )


class _NamedNode:
    """The columns every node of a tenant's tree has (workspaces ... knowledge bases)."""

    id: Mapped[uuid.UUID] = _id()
    tenant_id: Mapped[uuid.UUID] = _tenant()
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class Workspace(_NamedNode, Base):
    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), UniqueConstraint("tenant_id", "id"))


class Teammate(_NamedNode, Base):
    __tablename__ = "teammates"
    __table_args__ = (
        _under("workspaces", "workspace_id"),
        UniqueConstraint("workspace_id", "name"),
        UniqueConstraint("tenant_id", "id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    orchestration_config: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Assistant(_NamedNode, Base):
    __tablename__ = "assistants"
    __table_args__ = (
        _under("teammates", "teammate_id"),
        UniqueConstraint("teammate_id", "name"),
        UniqueConstraint("tenant_id", "id"),
    )

    teammate_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    model: Mapped[str | None] = mapped_column(String(255))
    """``provider/model`` answering for this assistant; None: the mode's default model."""
    instruction: Mapped[str | None] = mapped_column(Text)
    """The system prompt (one per assistant)."""
    instruction_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KnowledgeBase(_NamedNode, Base):
    __tablename__ = "knowledge_bases"
    __table_args__ = (
        _under("workspaces", "workspace_id"),
        UniqueConstraint("workspace_id", "name"),
        UniqueConstraint("tenant_id", "id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    embedding_model: Mapped[str] = mapped_column(String(255))
    embedding_dimension: Mapped[int] = mapped_column(Integer)


class AssistantKnowledgeBase(Base):
    __tablename__ = "assistant_knowledge_bases"
    __table_args__ = (
        _under("assistants", "assistant_id"),
        _under("knowledge_bases", "knowledge_base_id"),
    )

    tenant_id: Mapped[uuid.UUID] = _tenant()
    assistant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    knowledge_base_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)
    created_at: Mapped[datetime] = _now()


class DocumentStatus(StrEnum):
    uploaded = "uploaded"
    parsing = "parsing"
    chunking = "chunking"
    embedding = "embedding"
    ready = "ready"
    failed = "failed"
    cancelled = "cancelled"
    """A user stopped the ingestion; the document has no chunks until it is re-indexed."""


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        _under("knowledge_bases", "knowledge_base_id"),
        UniqueConstraint("knowledge_base_id", "sha256"),
        UniqueConstraint("tenant_id", "id"),
        Index("ix_documents_tenant_id_sha256", "tenant_id", "sha256"),
    )

    id: Mapped[uuid.UUID] = _id()
    tenant_id: Mapped[uuid.UUID] = _tenant()
    knowledge_base_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    name: Mapped[str] = mapped_column(String(255))
    """The uploaded file name reduced to a safe basename; shown, never used as a path."""
    media_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.uploaded.value)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    ocr_page_count: Mapped[int] = mapped_column(Integer, default=0)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    timings: Mapped[dict[str, float]] = mapped_column(JSONB, default=dict)
    """Seconds spent per stage of the last ingestion (parsing, chunking, embedding...)."""
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IngestJob(JobMixin, Base):
    __tablename__ = "ingest_jobs"
    __table_args__ = (_under("documents", "document_id"),)

    tenant_id: Mapped[uuid.UUID] = _tenant()
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)


class Chunk(Base):
    """A passage of a document: what is embedded (in Chroma, same id) and searched by full text."""

    __tablename__ = "chunks"
    __table_args__ = (
        _under("documents", "document_id"),
        Index("ix_chunks_search", "search", postgresql_using="gin"),
        Index("ix_chunks_tenant_id_knowledge_base_id", "tenant_id", "knowledge_base_id"),
    )

    id: Mapped[uuid.UUID] = _id()
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    knowledge_base_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    document_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    section: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    token_count: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    search: Mapped[Any] = mapped_column(
        TSVECTOR,
        Computed("to_tsvector('english', coalesce(section, '') || ' ' || text)", persisted=True),
    )


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (_under("teammates", "teammate_id"), UniqueConstraint("tenant_id", "id"))

    id: Mapped[uuid.UUID] = _id()
    tenant_id: Mapped[uuid.UUID] = _tenant()
    teammate_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    """Who holds the conversation (a user id or an API key id): only they see it."""
    title: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class ChatMessage(Base):
    __tablename__ = "messages"
    __table_args__ = (
        _under("conversations", "conversation_id"),
        UniqueConstraint("tenant_id", "id"),
        CheckConstraint("role IN ('user', 'assistant')", name="role_known"),
    )

    id: Mapped[uuid.UUID] = _id()
    tenant_id: Mapped[uuid.UUID] = _tenant()
    conversation_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    sequence: Mapped[int] = mapped_column(BigInteger, Identity(always=True), index=True)
    """Order of writing: a question and its answer share one transaction, hence one now()."""
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    mode: Mapped[str | None] = mapped_column(String(16))
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    attributions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    reasoning: Mapped[str | None] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _now()


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        _under("messages", "message_id"),
        UniqueConstraint("message_id", "subject"),
        CheckConstraint("rating IN (-1, 1)", name="rating_known"),
    )

    id: Mapped[uuid.UUID] = _id()
    tenant_id: Mapped[uuid.UUID] = _tenant()
    message_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    subject: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now()


class DailyUsage(Base):
    """What a tenant used on one UTC day: what quotas are checked against and usage reports."""

    __tablename__ = "daily_usage"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    queries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    documents_ingested: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    chunks_embedded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
