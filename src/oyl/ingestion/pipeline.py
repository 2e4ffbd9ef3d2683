"""The ingestion of one document, run by the worker: parse, chunk, embed, index.

Each stage commits the document's status and progress at once, so the API shows where it is.
The chunks are replaced as a whole (PostgreSQL rows and Chroma vectors of the document), so a
re-index never leaves stale chunks behind. A document deleted while its ingestion runs has its
vectors removed again at the end: deletion always wins. A cancel request stops the run at its
next progress report (each stage, each batch of embeddings): the document then ends
``cancelled`` with no chunks and no vectors, and a re-index starts it afresh.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update

from oyl.ingestion.chunking import Chunk as TextChunk
from oyl.ingestion.chunking import chunk_pages
from oyl.ingestion.parsing import OcrEngine, ParseError, parse
from oyl.ingestion.sniffing import Kind
from oyl.models import Chunk, Document, DocumentStatus, KnowledgeBase
from oyl.usage.accounting import increment
from oyl.vectors import ChromaVectors
from servicekit.db import Database
from servicekit.embeddings import Embedder
from servicekit.jobs import JobCancelled, PermanentError
from servicekit.storage import BlobStore

EMBED_BATCH = 64
_STAGE_PROGRESS = {
    DocumentStatus.parsing: 0.05,
    DocumentStatus.chunking: 0.35,
    DocumentStatus.embedding: 0.4,
}


@dataclass
class IngestResources:
    db: Database
    blobs: BlobStore
    vectors: ChromaVectors
    embedder: Embedder
    ocr: OcrEngine
    chunk_size: int
    chunk_overlap: int


def blob_owner(tenant_id: uuid.UUID) -> str:
    return f"tenant-{tenant_id.hex}"


ProgressReport = Callable[[float, str], None]
"""Told the fraction done and the stage after each unit; may raise to stop (a cancelled job)."""


class Ingestion:
    def __init__(self, resources: IngestResources, report: ProgressReport) -> None:
        self.r = resources
        self.report = report
        self.timings: dict[str, float] = {}

    def _set(self, document_id: uuid.UUID, **values: Any) -> None:
        with self.r.db.sync_session() as session:
            session.execute(update(Document).where(Document.id == document_id).values(**values))

    def _stage(self, document_id: uuid.UUID, status: DocumentStatus) -> None:
        progress = _STAGE_PROGRESS[status]
        self._set(document_id, status=status.value, progress=progress, error=None)
        self.report(progress, status.value)

    def run(self, document_id: uuid.UUID) -> dict[str, Any]:
        with self.r.db.sync_session() as session:
            document = session.get(Document, document_id)
            if document is None:
                raise PermanentError(f"document {document_id} no longer exists")
            model = session.scalar(
                select(KnowledgeBase.embedding_model).where(
                    KnowledgeBase.id == document.knowledge_base_id
                )
            )
            session.expunge(document)
        if model != self.r.embedder.model_name:
            # Vectors of two models in one index are meaningless next to each other.
            message = (
                f"the knowledge base is embedded with {model}, this worker embeds with "
                f"{self.r.embedder.model_name}: configure the same EMBEDDING_* everywhere"
            )
            self._set(document_id, status=DocumentStatus.failed.value, error=message)
            raise PermanentError(message)
        try:
            return self._ingest(document)
        except JobCancelled:
            self._discard(document)
            raise
        except Exception as exc:
            self._set(
                document_id,
                status=DocumentStatus.failed.value,
                error=f"{type(exc).__name__}: {exc}"[:4000],
                timings=self.timings,
            )
            if isinstance(exc, ParseError):
                raise PermanentError(str(exc)) from exc
            raise

    def _timed(self, stage: str, started: float) -> None:
        self.timings[stage] = round(time.perf_counter() - started, 4)

    def _ingest(self, document: Document) -> dict[str, Any]:
        owner = blob_owner(document.tenant_id)
        self._stage(document.id, DocumentStatus.parsing)
        started = time.perf_counter()
        path: Path = self.r.blobs.path_for(owner, document.sha256)
        parsed = parse(path, Kind(document.media_type), self.r.ocr)
        self._timed("parsing", started)

        self._stage(document.id, DocumentStatus.chunking)
        started = time.perf_counter()
        chunks = chunk_pages(parsed.pages, size=self.r.chunk_size, overlap=self.r.chunk_overlap)
        self._timed("chunking", started)
        if not chunks:
            raise ParseError("no text was found in the document")

        self._stage(document.id, DocumentStatus.embedding)
        started = time.perf_counter()
        vectors = self._embed(document.id, chunks)
        self._timed("embedding", started)

        started = time.perf_counter()
        ids = [uuid.uuid4() for _ in chunks]
        self._replace_chunks(document, chunks, ids)
        tenant, kb = document.tenant_id, document.knowledge_base_id
        self.r.vectors.delete_documents(tenant, kb, [document.id])
        metadatas = [{"doc_id": str(document.id), "page": c.page} for c in chunks]
        self.r.vectors.upsert(tenant, kb, ids, vectors, metadatas)
        self._timed("indexing", started)
        if not self._still_exists(document.id):
            self.r.vectors.delete_documents(tenant, kb, [document.id])
            raise PermanentError("the document was deleted during its ingestion")
        self._finish(document, parsed.pages, parsed.ocr_pages, len(chunks))
        return {"chunks": len(chunks), "pages": len(parsed.pages), "timings": self.timings}

    def _embed(self, document_id: uuid.UUID, chunks: list[TextChunk]) -> Any:
        parts = []
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            texts = [f"{c.section}\n{c.text}" if c.section else c.text for c in batch]
            parts.append(self.r.embedder.embed_sync(texts))
            done = min(1.0, (start + len(batch)) / len(chunks))
            progress = 0.4 + 0.5 * done
            self._set(document_id, progress=progress)
            self.report(progress, f"embedded {start + len(batch)}/{len(chunks)} chunks")
        return np.concatenate(parts)

    def _replace_chunks(
        self, document: Document, chunks: list[TextChunk], ids: list[uuid.UUID]
    ) -> None:
        rows = [
            {
                "id": chunk_id,
                "tenant_id": document.tenant_id,
                "knowledge_base_id": document.knowledge_base_id,
                "document_id": document.id,
                "ordinal": c.ordinal,
                "page": c.page,
                "start_offset": c.start,
                "end_offset": c.end,
                "section": c.section,
                "text": c.text,
                "token_count": c.token_count,
                "enabled": True,
            }
            for chunk_id, c in zip(ids, chunks, strict=True)
        ]
        with self.r.db.sync_session() as session:
            session.execute(delete(Chunk).where(Chunk.document_id == document.id))
            session.execute(insert(Chunk), rows)

    def _discard(self, document: Document) -> None:
        """Settle a cancelled run: whatever it (or an earlier run) indexed goes."""
        with self.r.db.sync_session() as session:
            session.execute(delete(Chunk).where(Chunk.document_id == document.id))
        cancelled = {"status": DocumentStatus.cancelled.value, "progress": 0.0, "chunk_count": 0}
        self._set(document.id, **cancelled, error=None, timings=self.timings)
        self.r.vectors.delete_documents(
            document.tenant_id, document.knowledge_base_id, [document.id]
        )

    def _still_exists(self, document_id: uuid.UUID) -> bool:
        with self.r.db.sync_session() as session:
            return session.scalar(select(Document.id).where(Document.id == document_id)) is not None

    def _finish(self, document: Document, pages: list[Any], ocr_pages: int, count: int) -> None:
        self.timings["total"] = round(sum(self.timings.values()), 4)
        with self.r.db.sync_session() as session:
            session.execute(
                update(Document)
                .where(Document.id == document.id)
                .values(
                    status=DocumentStatus.ready.value,
                    progress=1.0,
                    error=None,
                    page_count=len(pages),
                    ocr_page_count=ocr_pages,
                    chunk_count=count,
                    timings=self.timings,
                    ready_at=func.now(),
                    updated_at=func.now(),
                )
            )
            session.execute(
                increment(document.tenant_id, documents_ingested=1, chunks_embedded=count)
            )
