"""Job use cases for the web app: create (validated, then queued), read, long-poll, cancel, delete.

Create stores the row first and only then hands the task to the broker, so that the worker always
finds its row. When the broker is unreachable the job stays ``pending`` (no ``celery_task_id``)
instead of failing: the workers' upkeep sends such jobs once the broker is back
(see :mod:`modelforge.jobs.upkeep`).
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from celery import Celery

from modelforge.inference.tensors import InputError, decode_inputs, parse_schema
from modelforge.jobs.queue import INFERENCE_TASK, PRIORITY_STEPS
from modelforge.jobs.repository import JobRepository
from modelforge.jobs.schemas import MAX_BATCH_ITEMS, InputObject, JobCreate
from modelforge.jobs.states import JobState, state_of
from modelforge.models import InferenceJob, MLModel, ModelStatus
from modelforge.registry.access import Actor
from modelforge.registry.service import RegistryService
from servicekit.db import Database
from servicekit.errors import Conflict, NotFound, ServiceError, Unprocessable
from servicekit.jobs import queries
from servicekit.jobs.models import FINISHED
from servicekit.logging import get_logger

log = get_logger("modelforge.jobs")

MAX_WAIT_SECONDS = 30.0
POLL_INTERVAL = 0.5


@dataclass(frozen=True)
class JobPageResult:
    items: Sequence[InferenceJob]
    total: int
    total_pages: int


class JobsService:
    def __init__(self, db: Database, registry: RegistryService, celery: Celery) -> None:
        self.db = db
        self.registry = registry
        self.celery = celery

    async def create(
        self, actor: Actor, body: JobCreate, *, request_id: str | None = None
    ) -> InferenceJob:
        model = await self.registry.resolve_readable_model(actor, model_id=body.model_id)
        if model.status is not ModelStatus.ready:
            raise Conflict(
                f"the model is {model.status.value}, not ready: upload and validate it first",
                code="model_not_ready",
            )
        items = body.items()
        # Checked here, not in the worker: a client learns about a typo at once, with a 422.
        await asyncio.to_thread(_check_inputs, model, items)
        job = InferenceJob(
            id=uuid.uuid4(),
            kind=INFERENCE_TASK,
            model_id=model.id,
            owner_id=actor.user_id,
            priority=body.priority,
            input_data=body.input_data,
            request_id=request_id,
        )
        async with self.db.session() as session:
            await JobRepository(session).add(job)
        if await self._send(job):
            async with self.db.session() as session:
                await JobRepository(session).mark_enqueued(job.id)
            job.celery_task_id = str(job.id)
        return job

    async def _send(self, job: InferenceJob) -> bool:
        try:
            await asyncio.to_thread(
                self.celery.send_task,
                INFERENCE_TASK,
                task_id=str(job.id),
                priority=PRIORITY_STEPS[job.priority],
                # Fail fast: the job is stored, and the upkeep sends it when the broker is back.
                retry=False,
            )
        except Exception as exc:  # kombu/redis raise many unrelated connection errors
            log.warning(
                "job stored but not queued: broker unreachable", job=str(job.id), error=str(exc)
            )
            return False
        return True

    async def page(
        self, actor: Actor, state: JobState | None, *, page: int, page_size: int
    ) -> JobPageResult:
        async with self.db.session() as session:
            items, total = await JobRepository(session).page(
                actor, state, offset=(page - 1) * page_size, limit=page_size
            )
        return JobPageResult(items, total, math.ceil(total / page_size) if total else 0)

    async def get(self, actor: Actor, job_id: uuid.UUID) -> InferenceJob:
        async with self.db.session() as session:
            job = await JobRepository(session).get(job_id, actor)
        if job is None:
            raise NotFound("job not found")
        return job

    async def wait(self, actor: Actor, job_id: uuid.UUID, seconds: float) -> InferenceJob:
        """The job once finished, or as it is after ``seconds`` (at most 30)."""
        deadline = time.monotonic() + min(seconds, MAX_WAIT_SECONDS)
        while True:
            job = await self.get(actor, job_id)
            remaining = deadline - time.monotonic()
            if job.status in FINISHED or remaining <= 0:
                return job
            await asyncio.sleep(min(POLL_INTERVAL, remaining))

    async def cancel(self, actor: Actor, job_id: uuid.UUID) -> InferenceJob:
        """A queued job is cancelled at once; a running one stops before it stores a result."""
        job = await self.get(actor, job_id)
        if job.status in FINISHED:
            state = state_of(job.status, enqueued=True)
            raise ServiceError(f"the job is already {state.value}", code="job_finished")
        async with self.db.session() as session:
            changed = (await session.scalars(queries.request_cancel(InferenceJob, job_id))).first()
        if changed is None:  # it finished meanwhile
            raise ServiceError("the job finished before it could be cancelled", code="job_finished")
        try:
            await asyncio.to_thread(self.celery.control.revoke, str(job_id))
        except Exception as exc:  # the row already says cancelled; every delivery checks it
            log.warning("revoke failed; the job row stops it", job=str(job_id), error=str(exc))
        return await self.get(actor, job_id)

    async def delete(self, actor: Actor, job_id: uuid.UUID) -> None:
        job = await self.get(actor, job_id)
        if job.status not in FINISHED:
            raise ServiceError(
                "only completed, failed or cancelled jobs can be deleted; cancel it first",
                code="job_active",
            )
        async with self.db.session() as session:
            if not await JobRepository(session).delete_finished(job_id, actor):
                raise NotFound("job not found")


def _check_inputs(model: MLModel, items: list[InputObject]) -> None:
    if not items:
        raise Unprocessable("input_data is an empty batch")
    if len(items) > MAX_BATCH_ITEMS:
        raise Unprocessable(f"a batch holds at most {MAX_BATCH_ITEMS} inputs")
    specs = parse_schema(model.input_schema or [])
    problems: list[str] = []
    for index, item in enumerate(items):
        try:
            decode_inputs(specs, item)
        except InputError as exc:
            prefix = f"item {index}: " if len(items) > 1 else ""
            problems.extend(prefix + problem for problem in exc.problems)
    if problems:
        raise Unprocessable(
            "input_data does not match the model's inputs", details={"problems": problems}
        )
