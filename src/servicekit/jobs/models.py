"""The job row: a declarative mixin each service turns into a table of its own database.

The kit cannot declare the table itself (every service owns its database and its
``DeclarativeBase``), so a service writes, for example::

    class BatchJob(JobMixin, Base):
        __tablename__ = "batch_jobs"
        owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)

The row, not Celery's result backend, is the truth about a job: it outlives result expiry,
survives a Redis flush, carries the owner columns the web app filters on, and is what makes a
redelivered task a no-op once the work is committed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum, Float, Integer, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column


class JobStatus(StrEnum):
    PENDING = "PENDING"  # queued, or waiting for a retry
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        """A finished job never changes again; a delivery of its task does nothing."""
        return self in FINISHED


ACTIVE = (JobStatus.PENDING, JobStatus.RUNNING)
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)

# Stored as VARCHAR, not a PostgreSQL ENUM type: two job tables in one database would fight over
# the type's name, and adding a status to a native enum needs a migration outside a transaction.
_STATUS = Enum(
    JobStatus,
    native_enum=False,
    length=16,
    validate_strings=True,
    values_callable=lambda statuses: [status.value for status in statuses],
)


class JobMixin:
    """Columns every job has; owner/tenant columns (and their indexes) are the service's."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[JobStatus] = mapped_column(
        _STATUS, default=JobStatus.PENDING, server_default=JobStatus.PENDING.value, index=True
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    message: Mapped[str | None] = mapped_column(Text)
    # Starts of the work, retries and redeliveries included.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    # Set by a cancel request; a running task sees it at its next progress report.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
