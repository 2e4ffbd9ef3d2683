"""Ingestion job use cases. The input extension pulls work (``next``) rather than the backend
calling out to it, so no extension URL is ever fetched by the server (no SSRF surface) and
extensions behind NAT work; several runners of one extension share the queue safely."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from phiacta.actor import Actor
from phiacta.audit.repository import record
from phiacta.errors import conflict, error, forbidden, not_found
from phiacta.extensions import repository as extensions
from phiacta.ingest.schemas import (
    IngestAccepted,
    IngestComplete,
    IngestFail,
    IngestJobRead,
    IngestRequest,
)
from phiacta.models import EVENT_STREAM, Bundle, IngestJob
from servicekit.events import EventLog


def read(job: IngestJob) -> IngestJobRead:
    return IngestJobRead(
        job_id=job.id,
        status=job.status,
        extension_id=job.extension_id,
        source_type=job.source_type,
        external_ref=job.external_ref,
        priority=job.priority,
        attrs=job.attrs,
        source_id=job.source_id,
        bundle_id=job.bundle_id,
        claims_created=job.claims_created,
        edges_created=job.edges_created,
        error=job.error,
        created_at=job.created_at,
        completed_at=job.completed_at,
    )


async def submit(session: AsyncSession, data: IngestRequest, actor: Actor) -> IngestAccepted:
    extension = await extensions.get(session, data.extension_id)
    if extension is None or extension.status == "inactive":
        raise error(404, "EXTENSION_NOT_FOUND", f"No active extension {data.extension_id!r}")
    if extension.extension_type != "input":
        raise error(422, "VALIDATION_FAILED", f"{data.extension_id} is not an input extension")
    job = IngestJob(
        extension_id=extension.id,
        submitted_by=actor.agent_id,
        source_type=data.source_type,
        external_ref=data.external_ref,
        priority=data.priority,
        callback_url=str(data.callback_url) if data.callback_url else None,
        attrs=data.attrs,
    )
    session.add(job)
    await session.flush()
    await record(
        session, actor, "ingest.submit", "ingest_job", job.id, after=data.model_dump(mode="json")
    )
    return IngestAccepted(job_id=job.id, status="queued", extension_id=extension.id)


async def get(session: AsyncSession, job_id: uuid.UUID, *, lock: bool = False) -> IngestJob:
    job = await session.get(IngestJob, job_id, with_for_update=lock)
    if job is None:
        raise not_found("Ingestion job", job_id)
    return job


async def take_next(session: AsyncSession, actor: Actor) -> IngestJob | None:
    """The calling extension's most urgent queued job, now ``processing``; None when idle."""
    extension = await extensions.of_agent(session, actor.agent_id)
    if extension is None:
        raise forbidden("Only an extension takes ingestion jobs")
    job = await session.scalar(
        select(IngestJob)
        .where(IngestJob.extension_id == extension.id, IngestJob.status == "queued")
        .order_by(IngestJob.priority.desc(), IngestJob.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if job is not None:
        job.status, job.updated_at = "processing", datetime.now(UTC)
    return job


async def _own_running(session: AsyncSession, job_id: uuid.UUID, actor: Actor) -> IngestJob:
    job = await get(session, job_id, lock=True)
    extension = await extensions.of_agent(session, actor.agent_id)
    if extension is None or extension.id != job.extension_id:
        raise forbidden("Only the job's extension reports on it")
    if job.status != "processing":
        raise conflict(f"The job is {job.status}, not processing")
    return job


async def complete(
    session: AsyncSession, events: EventLog, job_id: uuid.UUID, data: IngestComplete, actor: Actor
) -> IngestJob:
    job = await _own_running(session, job_id, actor)
    bundle = await session.get(Bundle, data.bundle_id)
    if bundle is None or bundle.submitted_by != actor.agent_id:
        raise error(422, "VALIDATION_FAILED", "bundle_id must be a bundle this extension submitted")
    now = datetime.now(UTC)
    job.status, job.completed_at, job.updated_at = "completed", now, now
    job.bundle_id, job.source_id = bundle.id, bundle.source_id
    job.claims_created, job.edges_created = bundle.claim_count, bundle.edge_count
    await record(session, actor, "ingest.complete", "ingest_job", job.id)
    await events.publish(
        session,
        EVENT_STREAM,
        "ingestion_completed",
        {"job_id": str(job.id), "source_id": str(job.source_id), "bundle_id": str(bundle.id),
         "extension_id": job.extension_id},
    )  # fmt: skip
    return job


async def fail(
    session: AsyncSession, events: EventLog, job_id: uuid.UUID, data: IngestFail, actor: Actor
) -> IngestJob:
    job = await _own_running(session, job_id, actor)
    now = datetime.now(UTC)
    job.status, job.error, job.completed_at, job.updated_at = "failed", data.error, now, now
    await record(session, actor, "ingest.fail", "ingest_job", job.id)
    await events.publish(
        session,
        EVENT_STREAM,
        "ingestion_failed",
        {"job_id": str(job.id), "error": data.error, "extension_id": job.extension_id},
    )
    return job


async def cancel(session: AsyncSession, job_id: uuid.UUID, actor: Actor) -> IngestJob:
    job = await get(session, job_id, lock=True)
    if job.submitted_by != actor.agent_id and not actor.is_admin:
        raise forbidden("Only the submitter cancels a job")
    if job.status != "queued":
        raise conflict(f"Only queued jobs can be cancelled; this one is {job.status}")
    job.status, job.updated_at = "cancelled", datetime.now(UTC)
    await record(session, actor, "ingest.cancel", "ingest_job", job.id)
    return job
