"""CuriousCore's tables. Alembic (``curiouscore/migrations``) is the only schema source.

Sessions are event-sourced: ``game_events`` is the truth (one row per event, numbered per
session, the pair unique so that two writers cannot both append the same number),
``session_snapshots`` shortcuts replay, and ``game_sessions`` is a projection rewritten in the
same transaction as the events it reflects.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.auth import RefreshTokenMixin
from servicekit.db import naming_metadata


class Base(DeclarativeBase):
    metadata = naming_metadata()


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    """Stored lower-cased: one account per address whatever its spelling."""
    password_hash: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(64))
    avatar_url: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default="learner")
    xp: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class RefreshToken(RefreshTokenMixin, Base):
    __tablename__ = "refresh_tokens"


class Challenge(Base):
    __tablename__ = "challenges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSONB, default=list)
    difficulty: Mapped[str] = mapped_column(String(16), default="beginner")
    challenge_type: Mapped[str] = mapped_column(String(16), default="advanced")
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    custom_variables: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    estimated_time_minutes: Mapped[int] = mapped_column(Integer, default=30)
    xp_reward: Mapped[int] = mapped_column(Integer, default=100)
    passing_score: Mapped[int] = mapped_column(Integer, default=70)
    help_resources: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    llm_model: Mapped[str | None] = mapped_column(String(200))
    """``provider/model`` for every LLM role of this challenge; None: the service default."""
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class ChallengeStep(Base):
    __tablename__ = "challenge_steps"
    __table_args__ = (
        UniqueConstraint(
            "challenge_id", "step_index", deferrable=True, initially="DEFERRED"
        ),  # deferred so that a reorder can swap indexes within one transaction
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    step_index: Mapped[int] = mapped_column(Integer)
    step_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    instruction: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSONB, default=list)
    correct_answer: Mapped[int | None] = mapped_column(Integer)
    correct_answers: Mapped[list[int]] = mapped_column(JSONB, default=list)
    points_possible: Mapped[int] = mapped_column(Integer, default=10)
    passing_threshold: Mapped[int] = mapped_column(Integer, default=70)
    rubric: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    gm_context: Mapped[str] = mapped_column(Text, default="")
    auto_narrate: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _now()


class ChallengeVersion(Base):
    """A challenge's content as sessions play it; a new version is made when content changed."""

    __tablename__ = "challenge_versions"
    __table_args__ = (
        UniqueConstraint("challenge_id", "version"),
        UniqueConstraint("challenge_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()


class GameSession(Base):
    __tablename__ = "game_sessions"
    __table_args__ = (Index(None, "user_id", "challenge_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    challenge_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="created")
    current_step_index: Mapped[int] = mapped_column(Integer, default=0)
    total_score: Mapped[int] = mapped_column(Integer, default=0)
    max_possible_score: Mapped[int] = mapped_column(Integer, default=0)
    mistakes_count: Mapped[int] = mapped_column(Integer, default=0)
    hints_used: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    percentage: Mapped[float | None] = mapped_column(Float)
    last_sequence: Mapped[int] = mapped_column(Integer, default=0)
    """The projection's position in the event log: what optimistic concurrency compares."""
    created_at: Mapped[datetime] = _now()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = _now()


class GameEvent(Base):
    __tablename__ = "game_events"
    __table_args__ = (UniqueConstraint("session_id", "sequence_number"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("game_sessions.id", ondelete="CASCADE")
    )
    sequence_number: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(32), index=True)
    event_data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    occurred_at: Mapped[str] = mapped_column(String(40))
    """The engine's own clock reading (ISO 8601), kept as text so replay reads it unchanged."""
    created_at: Mapped[datetime] = _now()


class SessionSnapshot(Base):
    __tablename__ = "session_snapshots"
    __table_args__ = (UniqueConstraint("session_id", "event_sequence"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("game_sessions.id", ondelete="CASCADE")
    )
    event_sequence: Mapped[int] = mapped_column(Integer)
    schema_version: Mapped[int] = mapped_column(Integer)
    snapshot_data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = _now()


class XpAward(Base):
    """The XP ledger: one row per reason, so a completion or a badge pays out exactly once."""

    __tablename__ = "xp_awards"
    __table_args__ = (UniqueConstraint("user_id", "reason"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(100))
    """``challenge:<id>`` or ``badge:<id>``."""
    xp: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = _now()


class Badge(Base):
    __tablename__ = "badges"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text)
    icon: Mapped[str] = mapped_column(String(40))
    badge_type: Mapped[str] = mapped_column(String(32))
    xp_reward: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _now()


class UserBadge(Base):
    __tablename__ = "user_badges"
    __table_args__ = (UniqueConstraint("user_id", "badge_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    badge_id: Mapped[str] = mapped_column(ForeignKey("badges.id", ondelete="CASCADE"))
    earned_at: Mapped[datetime] = _now()
