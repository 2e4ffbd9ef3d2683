"""ModelForge's tables: users and their API tokens, models, aliases, predictions, jobs.

Status and visibility are PostgreSQL enums holding every value the code uses (upstream's
migrations forgot ``uploaded``, so uploads failed on a migrated database). Ownership is a column
on every row a user can see, so that the repositories filter by it in the query itself.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicekit.auth import ApiKeyMixin, Principal, RefreshTokenMixin
from servicekit.db import naming_metadata
from servicekit.jobs.models import JobMixin

ADMIN_ROLE = "admin"


class Base(DeclarativeBase):
    metadata = naming_metadata()


class ModelStatus(StrEnum):
    pending = "pending"
    uploaded = "uploaded"
    validating = "validating"
    ready = "ready"
    error = "error"
    archived = "archived"


class Visibility(StrEnum):
    private = "private"
    public = "public"


class JobPriority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"


def _pg_enum(enum: type[StrEnum], name: str) -> Enum:
    return Enum(enum, name=name, values_callable=lambda members: [m.value for m in members])


def _now_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    github_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    avatar_url: Mapped[str | None] = mapped_column(String(1000))
    # Argon2 hash for local accounts (installations without GitHub); None for GitHub users.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = _now_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiToken(ApiKeyMixin, Base):
    """A personal API token: acts as its owner, limited to its scopes (read, predict, admin)."""

    __tablename__ = "api_tokens"

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # Joined so the kit's store, which detaches the row, still knows whether the owner is admin.
    owner: Mapped[User] = relationship(lazy="joined")

    def to_principal(self) -> Principal:
        # Admin powers need both: the "admin" scope on the token and an owner who is an admin
        # right now (a demoted admin's old tokens lose them at once).
        principal = super().to_principal()
        is_admin = self.owner.is_admin and ADMIN_ROLE in principal.scopes
        return replace(
            principal,
            subject=str(self.owner_id),
            roles=frozenset({ADMIN_ROLE}) if is_admin else frozenset(),
            scopes=principal.scopes if is_admin else principal.scopes - {ADMIN_ROLE},
        )


class RefreshToken(RefreshTokenMixin, Base):
    __tablename__ = "refresh_tokens"


class MLModel(Base):
    __tablename__ = "ml_models"
    __table_args__ = (
        UniqueConstraint("owner_id", "name", "version"),
        Index("ix_ml_models_owner_id_file_hash", "owner_id", "file_hash"),
        Index("ix_ml_models_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    visibility: Mapped[Visibility] = mapped_column(
        _pg_enum(Visibility, "model_visibility"), default=Visibility.private
    )
    name: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ModelStatus] = mapped_column(
        _pg_enum(ModelStatus, "model_status"), default=ModelStatus.pending, index=True
    )
    file_path: Mapped[str | None] = mapped_column(String(1000))
    file_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    file_hash: Mapped[str | None] = mapped_column(String(64))
    input_schema: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB(none_as_null=True))
    output_schema: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB(none_as_null=True))
    model_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class ModelAlias(Base):
    """``(owner, model name, alias) -> model id``: a movable label such as ``production``."""

    __tablename__ = "model_aliases"
    __table_args__ = (UniqueConstraint("owner_id", "model_name", "alias"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    model_name: Mapped[str] = mapped_column(String(255))
    alias: Mapped[str] = mapped_column(String(100))
    model_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ml_models.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Prediction(Base):
    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_model_id_created_at", "model_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ml_models.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    requester_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    input_data: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    output_data: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    inference_time_ms: Mapped[float] = mapped_column(Float)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    request_id: Mapped[str | None] = mapped_column(String(128))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now_column()


class InferenceJob(JobMixin, Base):
    """An async inference job; ``result`` holds the output, ``attempts`` the retries,
    ``error`` the message shown to users and ``error_traceback`` the owner-only detail."""

    __tablename__ = "jobs"

    model_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ml_models.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    priority: Mapped[JobPriority] = mapped_column(
        _pg_enum(JobPriority, "job_priority"), default=JobPriority.normal
    )
    input_data: Mapped[Any] = mapped_column(JSONB)
    celery_task_id: Mapped[str | None] = mapped_column(String(255))
    worker_id: Mapped[str | None] = mapped_column(String(255))
    inference_time_ms: Mapped[float | None] = mapped_column(Float)
    queue_time_ms: Mapped[float | None] = mapped_column(Float)
    max_retries: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    error_traceback: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))
