"""Queries on documents and chunks, inside the caller's tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select

from oyl.models import Chunk, Document, IngestJob
from oyl.pagination import Paging
from oyl.scoped import TenantRepository
from servicekit.jobs import JobStatus


class DocumentRepository(TenantRepository):
    async def documents(
        self, paging: Paging, kb_id: uuid.UUID, status: str | None
    ) -> tuple[Sequence[Any], int]:
        query = self.select(Document).where(Document.knowledge_base_id == kb_id)
        if status:
            query = query.where(Document.status == status)
        return await self.page(query, paging, Document.created_at, Document.id)

    async def by_hash(self, kb_id: uuid.UUID, sha256: str) -> Document | None:
        return await self.session.scalar(
            self.select(Document).where(
                Document.knowledge_base_id == kb_id, Document.sha256 == sha256
            )
        )

    async def file_in_use(self, sha256: str) -> bool:
        """Whether a document of the tenant still uses the stored file with this hash."""
        query = select(Document.id).where(
            Document.tenant_id == self.tenant_id, Document.sha256 == sha256
        )
        return (await self.session.scalar(query.limit(1))) is not None

    async def chunks(self, paging: Paging, document_id: uuid.UUID) -> tuple[Sequence[Any], int]:
        query = self.select(Chunk).where(Chunk.document_id == document_id)
        return await self.page(query, paging, Chunk.ordinal)

    async def chunk(self, chunk_id: uuid.UUID) -> Chunk | None:
        return await self.get(Chunk, chunk_id)

    async def delete_chunks(self, document_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(Chunk).where(Chunk.tenant_id == self.tenant_id, Chunk.document_id == document_id)
        )

    async def active_job(self, document_id: uuid.UUID) -> IngestJob | None:
        return await self.session.scalar(
            self.select(IngestJob).where(
                IngestJob.document_id == document_id,
                IngestJob.status.in_([JobStatus.PENDING, JobStatus.RUNNING]),
            )
        )

    async def status_counts(self, kb_id: uuid.UUID) -> tuple[dict[str, int], int, int]:
        rows = await self.session.execute(
            select(
                Document.status,
                func.count(),
                func.sum(Document.chunk_count),
                func.sum(Document.size_bytes),
            )
            .where(Document.tenant_id == self.tenant_id, Document.knowledge_base_id == kb_id)
            .group_by(Document.status)
        )
        by_status: dict[str, int] = {}
        chunks = size = 0
        for status, count, chunk_sum, size_sum in rows.all():
            by_status[status] = int(count)
            chunks += int(chunk_sum or 0)
            size += int(size_sum or 0)
        return by_status, chunks, size
