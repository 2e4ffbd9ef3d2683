"""The web side of jobs, async: submit, read (scoped to the caller), cancel.

``where`` criteria (``Job.owner_id == principal.subject``) are applied inside every query, so
a caller can neither read nor cancel a job that is not theirs, by construction.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, Generic

from celery import Celery, Task
from sqlalchemy import ColumnElement, select

from servicekit.db import Database
from servicekit.jobs import queries
from servicekit.jobs.models import JobStatus
from servicekit.jobs.queries import JobT


class JobService(Generic[JobT]):
    """Jobs of one service: ``model``'s table in ``db``, tasks sent through ``app``."""

    def __init__(self, db: Database, model: type[JobT], app: Celery) -> None:
        self.db = db
        self.model = model
        self.app = app

    async def submit(
        self,
        task: Task | str,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        kind: str | None = None,
        columns: Mapping[str, Any] | None = None,
        **send_options: Any,
    ) -> JobT:
        """Create the job row (PENDING), commit it, then send the task with the job's id.

        ``task``: a task object, or a task name (a web app that does not import the worker's
        code). ``kind`` defaults to the task's name; ``columns`` fill the service's own columns
        (owner, tenant...); ``send_options`` go to Celery (``queue``, ``countdown``...).
        The row is committed first so that the worker always finds it. If sending fails the
        job is marked FAILED and the error raised: a PENDING row must mean a queued message.
        """
        name = task if isinstance(task, str) else task.name
        job = self.model(id=uuid.uuid4(), kind=kind or name, **(columns or {}))
        async with self.db.session() as session:
            session.add(job)
        # A task object's own options (its queue, time limits) apply; a name gets the routes.
        send = partial(self.app.send_task, task) if isinstance(task, str) else task.apply_async
        try:
            await asyncio.to_thread(
                send,
                args=tuple(args),
                kwargs=dict(kwargs or {}),
                task_id=str(job.id),
                **send_options,
            )
        except Exception as exc:
            async with self.db.session() as session:
                await session.execute(
                    queries.fail(self.model, job.id, f"could not be queued: {exc}")
                )
            raise
        return job

    async def get(self, job_id: uuid.UUID, *where: ColumnElement[bool]) -> JobT | None:
        async with self.db.session() as session:
            return await session.scalar(select(self.model).where(self.model.id == job_id, *where))

    async def list_jobs(
        self,
        *where: ColumnElement[bool],
        kind: str | None = None,
        status: JobStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[JobT]:
        """Newest first."""
        query = select(self.model).where(*where)
        if kind is not None:
            query = query.where(self.model.kind == kind)
        if status is not None:
            query = query.where(self.model.status == status)
        query = query.order_by(self.model.created_at.desc(), self.model.id)
        async with self.db.session() as session:
            return list(await session.scalars(query.limit(limit).offset(offset)))

    async def cancel(self, job_id: uuid.UUID, *where: ColumnElement[bool]) -> JobT | None:
        """Cancel a job: mark the row, then revoke its Celery task; the row, or None if unseen.

        A PENDING job is CANCELLED at once; a RUNNING one stops at its task's next progress
        report. The row is marked first because it is what every delivery checks: the revoke
        only reaches the workers running now, the row also stops a worker started later.
        A finished job is returned unchanged.
        """
        async with self.db.session() as session:
            job = (
                await session.scalars(queries.request_cancel(self.model, job_id, *where))
            ).first()
        if job is None:
            return await self.get(job_id, *where)
        await asyncio.to_thread(self.app.control.revoke, str(job_id))
        return job
