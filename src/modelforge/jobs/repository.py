"""Every query on the jobs table; who may see a job is part of each query.

Statement builders are shared by the web side (async) and the worker's upkeep (sync).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Delete,
    String,
    Update,
    and_,
    cast,
    delete,
    func,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from modelforge.jobs.states import TO_KIT, JobState
from modelforge.models import InferenceJob
from modelforge.registry.access import Actor
from servicekit.jobs import JobStatus
from servicekit.jobs.models import FINISHED


def visible(actor: Actor) -> ColumnElement[bool]:
    """Owners see their jobs, admins every job."""
    return true() if actor.is_admin else InferenceJob.owner_id == actor.user_id


def in_state(state: JobState) -> ColumnElement[bool]:
    condition = InferenceJob.status == TO_KIT[state]
    if state is JobState.pending:
        return and_(condition, InferenceJob.celery_task_id.is_(None))
    if state is JobState.queued:
        return and_(condition, InferenceJob.celery_task_id.is_not(None))
    return condition


def expired(cutoff: datetime) -> Delete:
    """Finished jobs that ended before ``cutoff``; active jobs are never deleted."""
    return delete(InferenceJob).where(
        InferenceJob.status.in_(FINISHED), InferenceJob.finished_at < cutoff
    )


def claim_unsent(cutoff: datetime, limit: int) -> Update:
    """Mark PENDING jobs never handed to the broker (created before ``cutoff``) as being sent.

    One UPDATE ... RETURNING claims them, so two workers sweeping together send each job once.
    """
    unsent = (
        select(InferenceJob.id)
        .where(
            InferenceJob.status == JobStatus.PENDING,
            InferenceJob.celery_task_id.is_(None),
            InferenceJob.created_at < cutoff,
        )
        .order_by(InferenceJob.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(InferenceJob)
        .where(InferenceJob.id.in_(unsent))
        .values(celery_task_id=cast(InferenceJob.id, String))
        .returning(InferenceJob.id, InferenceJob.priority)
        .execution_options(synchronize_session=False)
    )


def mark_enqueued(job_id: uuid.UUID) -> Update:
    return (
        update(InferenceJob)
        .where(InferenceJob.id == job_id, InferenceJob.celery_task_id.is_(None))
        .values(celery_task_id=str(job_id))
        .execution_options(synchronize_session=False)
    )


def mark_unsent(job_id: uuid.UUID) -> Update:
    """Undo a claim whose send failed, so that the next sweep tries again."""
    return (
        update(InferenceJob)
        .where(InferenceJob.id == job_id, InferenceJob.status == JobStatus.PENDING)
        .values(celery_task_id=None)
        .execution_options(synchronize_session=False)
    )


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, job_id: uuid.UUID, actor: Actor) -> InferenceJob | None:
        return await self.session.scalar(
            select(InferenceJob).where(InferenceJob.id == job_id, visible(actor))
        )

    async def page(
        self, actor: Actor, state: JobState | None, *, offset: int, limit: int
    ) -> tuple[Sequence[InferenceJob], int]:
        where = [visible(actor)]
        if state is not None:
            where.append(in_state(state))
        total = await self.session.scalar(
            select(func.count()).select_from(InferenceJob).where(*where)
        )
        items = await self.session.scalars(
            select(InferenceJob)
            .where(*where)
            .order_by(InferenceJob.created_at.desc(), InferenceJob.id)
            .offset(offset)
            .limit(limit)
        )
        return list(items), int(total or 0)

    async def add(self, job: InferenceJob) -> None:
        self.session.add(job)
        await self.session.flush()

    async def mark_enqueued(self, job_id: uuid.UUID) -> None:
        await self.session.execute(mark_enqueued(job_id))

    async def delete_finished(self, job_id: uuid.UUID, actor: Actor) -> bool:
        result = await self.session.execute(
            delete(InferenceJob).where(
                InferenceJob.id == job_id, visible(actor), InferenceJob.status.in_(FINISHED)
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
