"""Documents: upload (sniffed, size-limited, deduplicated, quota-checked), status, chunks,
re-index, cancel and deletion (rows, vectors and files).

The file is streamed to content-addressed storage under the tenant's own prefix while being
hashed; a knowledge base holds one document per content (sha256), so uploading the same file
again returns the existing document. Ingestion runs on the worker (``oyl.worker``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import NamedTuple

from celery import Celery
from fastapi import UploadFile

from oyl.ingestion.pipeline import blob_owner
from oyl.ingestion.queue import INGEST_TASK
from oyl.ingestion.repository import DocumentRepository
from oyl.ingestion.schemas import KnowledgeStatus
from oyl.ingestion.sniffing import SNIFF_BYTES, sniff
from oyl.models import Chunk, Document, DocumentStatus, IngestJob, KnowledgeBase
from oyl.pagination import Paging
from oyl.tenancy import Caller
from oyl.usage.repository import UsageRepository
from oyl.vectors import ChromaVectors
from servicekit.db import Database
from servicekit.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from servicekit.jobs import JobService, JobStatus
from servicekit.storage import BlobStore, TooLarge, safe_filename

READ_SIZE = 1024 * 1024
SUPPORTED = "PDF, DOCX, HTML, Markdown, plain text, CSV, PNG, JPEG, GIF, BMP, TIFF or WebP"


class RemovedDocument(NamedTuple):
    id: uuid.UUID
    sha256: str
    knowledge_base_id: uuid.UUID


class QuotaExceeded(Forbidden):
    code = "quota_exceeded"


class DocumentService:
    def __init__(
        self,
        db: Database,
        *,
        blobs: BlobStore,
        vectors: ChromaVectors,
        celery: Celery,
        max_upload_bytes: int,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.vectors = vectors
        self.jobs = JobService(db, IngestJob, celery)
        self.max_upload_bytes = max_upload_bytes

    @asynccontextmanager
    async def _repo(self, caller: Caller) -> AsyncIterator[DocumentRepository]:
        async with self.db.session() as session:
            yield DocumentRepository(session, caller.tenant_id)

    async def _document(self, repo: DocumentRepository, document_id: uuid.UUID) -> Document:
        document = await repo.get(Document, document_id)
        if document is None:
            raise NotFound("Document not found")
        return document

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The file exceeds the upload limit of {self.max_upload_bytes} bytes",
            details={"max_upload_bytes": self.max_upload_bytes},
        )

    async def upload(
        self, caller: Caller, kb_id: uuid.UUID, upload: UploadFile
    ) -> tuple[Document, bool]:
        """Store the file and queue its ingestion: (the document, whether it was already there)."""

        async def rest() -> AsyncIterator[bytes]:
            while chunk := await upload.read(READ_SIZE):
                yield chunk

        head = await upload.read(SNIFF_BYTES)
        document, duplicate = await self.store(caller, kb_id, upload.filename or "", head, rest())
        if not duplicate:
            await self._submit(document)
        return document, duplicate

    async def store(
        self,
        caller: Caller,
        kb_id: uuid.UUID,
        filename: str,
        head: bytes,
        rest: AsyncIterator[bytes],
    ) -> tuple[Document, bool]:
        """Check, store and register a file (``head``: its first bytes, for sniffing) without
        ingesting it: (the document, whether the knowledge base already had this content)."""
        name = safe_filename(filename, default="document")
        async with self._repo(caller) as repo:
            if await repo.get(KnowledgeBase, kb_id) is None:
                raise NotFound("Knowledge base not found")
            usage = UsageRepository(repo.session, caller.tenant_id)
            tenant = await usage.tenant()
            documents, stored = await usage.stored()
        if documents >= tenant.max_documents:
            raise QuotaExceeded(
                f"The tenant's quota of {tenant.max_documents} documents is used up"
            )
        kind = sniff(head, name)
        if kind is None:
            raise UnsupportedMediaType(f"Unsupported file type: upload {SUPPORTED}")

        async def content() -> AsyncIterator[bytes]:
            yield head
            async for chunk in rest:
                yield chunk

        owner = blob_owner(caller.tenant_id)
        try:
            blob = await self.blobs.put_stream(owner, content(), max_bytes=self.max_upload_bytes)
        except TooLarge:
            raise self._too_large() from None

        async with self._repo(caller) as repo:
            existing = await repo.by_hash(kb_id, blob.sha256)
            if existing is not None:
                return existing, True
            if stored + blob.size > tenant.max_storage_bytes:
                if blob.created and not await repo.file_in_use(blob.sha256):
                    self.blobs.delete(owner, blob.sha256)
                raise QuotaExceeded(
                    f"The tenant's storage quota of {tenant.max_storage_bytes} bytes is used up"
                )
            document = Document(
                knowledge_base_id=kb_id,
                name=name,
                media_type=kind.value,
                size_bytes=blob.size,
                sha256=blob.sha256,
                status=DocumentStatus.uploaded.value,
                created_by=caller.subject,
                timings={},
            )
            await repo.add(document, conflict="The same file is being uploaded right now")
            await repo.session.refresh(document)
        return document, False

    async def _submit(self, document: Document) -> None:
        await self.jobs.submit(
            INGEST_TASK,
            [str(document.id)],
            columns={"tenant_id": document.tenant_id, "document_id": document.id},
        )

    async def list_documents(
        self, caller: Caller, kb_id: uuid.UUID, paging: Paging, status: str | None
    ):
        async with self._repo(caller) as repo:
            if await repo.get(KnowledgeBase, kb_id) is None:
                raise NotFound("Knowledge base not found")
            return await repo.documents(paging, kb_id, status)

    async def get_document(self, caller: Caller, document_id: uuid.UUID) -> Document:
        async with self._repo(caller) as repo:
            return await self._document(repo, document_id)

    async def status(self, caller: Caller, kb_id: uuid.UUID) -> KnowledgeStatus:
        async with self._repo(caller) as repo:
            if await repo.get(KnowledgeBase, kb_id) is None:
                raise NotFound("Knowledge base not found")
            by_status, chunks, size = await repo.status_counts(kb_id)
        return KnowledgeStatus(
            knowledge_base_id=kb_id,
            documents=sum(by_status.values()),
            by_status=by_status,
            chunks=chunks,
            size_bytes=size,
        )

    async def chunks(self, caller: Caller, document_id: uuid.UUID, paging: Paging):
        async with self._repo(caller) as repo:
            await self._document(repo, document_id)
            return await repo.chunks(paging, document_id)

    async def set_chunk_enabled(self, caller: Caller, chunk_id: uuid.UUID, enabled: bool) -> Chunk:
        """Disabled chunks stay stored but are never retrieved."""
        async with self._repo(caller) as repo:
            chunk = await repo.chunk(chunk_id)
            if chunk is None:
                raise NotFound("Chunk not found")
            chunk.enabled = enabled
            return chunk

    async def reindex(self, caller: Caller, document_id: uuid.UUID) -> Document:
        async with self._repo(caller) as repo:
            document = await self._document(repo, document_id)
            if await repo.active_job(document_id) is not None:
                raise Conflict("The document is being ingested already")
            document.status = DocumentStatus.uploaded.value
            document.progress = 0.0
            document.error = None
        await self._submit(document)
        return document

    async def cancel(self, caller: Caller, document_id: uuid.UUID) -> Document:
        """Stop the document's ingestion; 409 when none is queued or running.

        A queued ingestion is cancelled here and now; a running one stops at its next stage or
        batch of embeddings, and the worker then settles the document (``cancelled``, chunks and
        vectors removed), so the answer may still show the stage it was in.
        """
        async with self._repo(caller) as repo:
            document = await self._document(repo, document_id)
            job = await repo.active_job(document_id)
        if job is None:
            raise Conflict(
                f"The document is not being ingested (it is {document.status})",
                code="not_ingesting",
            )
        job = await self.jobs.cancel(job.id)
        async with self._repo(caller) as repo:
            document = await self._document(repo, document_id)
            if job is not None and job.status is JobStatus.CANCELLED:
                # No worker will run it: settle the document as the worker would have.
                await repo.delete_chunks(document_id)
                document.status = DocumentStatus.cancelled.value
                document.progress = 0.0
                document.error = None
                document.chunk_count = 0
        if job is not None and job.status is JobStatus.CANCELLED:
            await asyncio.to_thread(
                self.vectors.delete_documents,
                caller.tenant_id,
                document.knowledge_base_id,
                [document_id],
            )
        return document

    async def delete_document(self, caller: Caller, document_id: uuid.UUID) -> None:
        async with self._repo(caller) as repo:
            document = await self._document(repo, document_id)
            job = await repo.active_job(document_id)
        if job is not None:  # before the row (and the job's) go: a running task then stops
            await self.jobs.cancel(job.id)
        async with self._repo(caller) as repo:
            document = await self._document(repo, document_id)
            await repo.session.delete(document)
        removed = RemovedDocument(document.id, document.sha256, document.knowledge_base_id)
        await self.purge(caller.tenant_id, [removed])

    async def purge(
        self,
        tenant_id: uuid.UUID,
        removed: list[RemovedDocument],
        dropped_knowledge_bases: Sequence[uuid.UUID] = (),
    ) -> None:
        """Remove the vectors and (unless another document uses them) the files of documents
        whose rows are gone; the whole index of knowledge bases that are gone."""
        await asyncio.to_thread(
            self.vectors.drop_knowledge_bases, tenant_id, dropped_knowledge_bases
        )
        by_kb: dict[uuid.UUID, list[uuid.UUID]] = {}
        for document in removed:
            if document.knowledge_base_id not in dropped_knowledge_bases:
                by_kb.setdefault(document.knowledge_base_id, []).append(document.id)
        for kb_id, document_ids in by_kb.items():
            await asyncio.to_thread(self.vectors.delete_documents, tenant_id, kb_id, document_ids)
        async with self.db.session() as session:
            repo = DocumentRepository(session, tenant_id)
            orphans = [
                sha
                for sha in {document.sha256 for document in removed}
                if not await repo.file_in_use(sha)
            ]
        for sha in orphans:
            self.blobs.delete(blob_owner(tenant_id), sha)

    async def drop_tenant(self, tenant_id: uuid.UUID) -> None:
        await asyncio.to_thread(self.vectors.drop_tenant, tenant_id)
        await asyncio.to_thread(self.blobs.delete_owner, blob_owner(tenant_id))
