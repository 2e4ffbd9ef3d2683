"""Galileo Arena's tables. Alembic (``galileo_arena/migrations``) is the only schema source.

Timestamps are timezone-aware. A run owns its per-(case, model) work items, messages, results and
events; deleting a run deletes them (ON DELETE CASCADE in the database, not only in the ORM).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import naming_metadata
from servicekit.events import event_log_table

JSONType = JSONB


class Base(DeclarativeBase):
    metadata = naming_metadata()


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    """The number of the ``_vN`` file it was loaded from, as a string (``"1"``)."""
    description: Mapped[str] = mapped_column(Text, default="")
    meta_json: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    source: Mapped[str] = mapped_column(Text, default="")
    """Where it came from: ``builtin:<file>``, ``dir:<path>`` or ``upload:<file>``."""
    content_hash: Mapped[str] = mapped_column(String(64))
    case_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class DatasetCase(Base):
    __tablename__ = "dataset_cases"
    __table_args__ = (UniqueConstraint("dataset_id", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer, default=0)
    topic: Mapped[str] = mapped_column(String(256))
    claim: Mapped[str] = mapped_column(Text)
    pressure_score: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(32))
    evidence_json: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    safe_to_answer: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    retired: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    """The case left its dataset file; kept because earlier runs refer to it."""
    created_at: Mapped[datetime] = _now()


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_status_created", "status", "created_at"),)

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    dataset_version: Mapped[str] = mapped_column(String(32))
    dataset_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    models_json: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    case_ids: Mapped[list[str]] = mapped_column(JSONType)
    case_id: Mapped[str] = mapped_column(String(128), default="")
    """The first selected case: the upstream single-case field, kept for old clients."""
    judge_model: Mapped[str | None] = mapped_column(String(256))
    scoring_mode: Mapped[str] = mapped_column(String(32), default="deterministic")
    rubric_version: Mapped[str] = mapped_column(String(32))
    prompt_version: Mapped[str] = mapped_column(String(32))
    prompt_hash: Mapped[str] = mapped_column(String(64))
    concurrency: Mapped[int] = mapped_column(Integer, default=1)
    total_pairs: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RunCaseStatus(Base):
    """One unit of work: one case debated by one model. The executor resumes from these rows."""

    __tablename__ = "run_case_status"
    __table_args__ = (UniqueConstraint("run_id", "case_id", "model_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(String(128))
    model_key: Mapped[str] = mapped_column(String(256))
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    from_cache: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RunMessage(Base):
    __tablename__ = "run_messages"
    __table_args__ = (Index("ix_run_messages_run_case", "run_id", "case_id", "model_key", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(String(128))
    model_key: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str] = mapped_column(String(32))
    round: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    valid: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    retried: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _now()


class RunResult(Base):
    __tablename__ = "run_results"
    __table_args__ = (
        UniqueConstraint("run_id", "case_id", "model_key"),
        Index("ix_run_results_run_model", "run_id", "model_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"))
    case_id: Mapped[str] = mapped_column(String(128))
    model_key: Mapped[str] = mapped_column(String(256))
    outcome: Mapped[str] = mapped_column(String(16), default="scored")
    """``scored``, or ``error`` when the provider failed and there was no answer to score."""
    verdict: Mapped[str | None] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(32))
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[float | None] = mapped_column(Float)
    pressure_score: Mapped[int] = mapped_column(Integer, default=5)
    evidence_used_json: Mapped[list[str]] = mapped_column(JSONType, default=list)
    critical_fail_reason: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    cost_estimate: Mapped[float] = mapped_column(Float, default=0.0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0)
    judge_json: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    score_breakdown: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    scoring_mode: Mapped[str] = mapped_column(String(32), default="deterministic")
    rubric_version: Mapped[str] = mapped_column(String(32), default="")
    prompt_hash: Mapped[str] = mapped_column(String(64), default="")
    dataset_version: Mapped[str] = mapped_column(String(32), default="")
    from_cache: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = _now()


class CachedResultSet(Base):
    """A stored (case, model) result that later identical requests may replay (``STORE_RESULT``).

    The key holds everything that changes an answer or its score: the dataset's content, the
    prompts, the rubric and the scoring mode. Expired slots are overwritten, never left blocking.
    """

    __tablename__ = "cached_result_sets"
    __table_args__ = (
        UniqueConstraint("cache_key", "slot_number"),
        Index("ix_cached_result_sets_lookup", "cache_key", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(64))
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    model_key: Mapped[str] = mapped_column(String(256))
    case_id: Mapped[str] = mapped_column(String(128))
    slot_number: Mapped[int] = mapped_column(Integer)
    source_run_id: Mapped[str] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = _now()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


run_events = event_log_table(Base.metadata, "run_events")
"""Every event of every run, stream ``run:<run_id>``: replay, catch-up and multi-worker SSE."""
