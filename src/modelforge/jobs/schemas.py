"""Request and response bodies of ``/jobs`` and ``/health/celery``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from modelforge.jobs.states import JobState, state_of
from modelforge.models import InferenceJob, JobPriority

MAX_BATCH_ITEMS = 10_000

InputObject = dict[str, Any]


class JobCreate(BaseModel):
    model_id: uuid.UUID
    input_data: InputObject | list[InputObject] = Field(
        description="one input object (input name -> tensor), or a list of them (a batch)"
    )
    priority: JobPriority = JobPriority.normal

    def items(self) -> list[InputObject]:
        return self.input_data if isinstance(self.input_data, list) else [self.input_data]


class JobResponse(BaseModel):
    id: uuid.UUID
    model_id: uuid.UUID
    status: JobState
    priority: JobPriority
    input_data: Any
    output_data: Any | None
    progress: float
    celery_task_id: str | None
    worker_id: str | None
    error_message: str | None
    error_traceback: str | None = Field(description="shown to the job's owner only")
    inference_time_ms: float | None
    queue_time_ms: float | None
    attempts: int
    retries: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def of(cls, job: InferenceJob, *, viewer_id: uuid.UUID) -> JobResponse:
        return cls(
            id=job.id,
            model_id=job.model_id,
            status=state_of(job.status, enqueued=job.celery_task_id is not None),
            priority=job.priority,
            input_data=job.input_data,
            output_data=job.result,
            progress=job.progress,
            celery_task_id=job.celery_task_id,
            worker_id=job.worker_id,
            error_message=job.error,
            # Tracebacks name server files and code paths: the owner's business, not an admin's
            # browsing everyone's jobs.
            error_traceback=job.error_traceback if job.owner_id == viewer_id else None,
            inference_time_ms=job.inference_time_ms,
            queue_time_ms=job.queue_time_ms,
            attempts=job.attempts,
            retries=max(0, job.attempts - 1),
            cancel_requested=job.cancel_requested_at is not None,
            created_at=job.created_at,
            started_at=job.started_at,
            completed_at=job.finished_at,
        )


class JobPage(BaseModel):
    items: list[JobResponse]
    total: int
    page: int
    page_size: int
    total_pages: int


class JobResult(BaseModel):
    job_id: uuid.UUID
    status: JobState
    result: Any | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    inference_time_ms: float | None = None
    completed_at: datetime | None = None
    message: str | None = None


class WorkerInfo(BaseModel):
    status: str
    concurrency: int | None
    processed: int


class QueueInfo(BaseModel):
    name: str
    messages: int | None


class CeleryHealth(BaseModel):
    status: str = Field(description="connected, no_workers or error")
    broker_connected: bool
    workers: dict[str, WorkerInfo]
    queues: list[QueueInfo]
    error: str | None
    timestamp: datetime
