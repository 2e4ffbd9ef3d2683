"""Tables of the job tests: a service-like job table (mixin + owner) and a log of work done.

Imported by the tests (``from .job_models import ...``) and by the worker process, which has
this folder on its ``PYTHONPATH`` (``import job_models``).
"""

from __future__ import annotations

import uuid

from sqlalchemy import String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import naming_metadata
from servicekit.jobs import JobMixin


class Base(DeclarativeBase):
    metadata = naming_metadata()


class Job(JobMixin, Base):
    __tablename__ = "jobstest_jobs"
    owner: Mapped[str | None] = mapped_column(String(64), index=True)


class WorkLog(Base):
    """One row per step of real work, written by the task: what ran, how often, where."""

    __tablename__ = "jobstest_work_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    event: Mapped[str] = mapped_column(String(16))  # start | unit | done
    pid: Mapped[int]
