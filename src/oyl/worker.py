"""Oyl's Celery worker: ``celery -A oyl.worker worker --loglevel=info`` (or ``suite oyl worker``).

It consumes the ``oyl`` queue the API sends ingestion jobs to, with the API's configuration
(``DATABASE_URL``, ``REDIS_URL`` as broker, ``CHROMA_HOST``/``DATA_DIR``, ``EMBEDDING_*``). The
embedder and the OCR models are loaded inside each pool process on first use: onnxruntime's
thread pools do not survive a fork.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from sqlalchemy.exc import OperationalError

from oyl.config import Settings
from oyl.ingestion.parsing import OcrEngine
from oyl.ingestion.pipeline import Ingestion, IngestResources
from oyl.ingestion.queue import INGEST_TASK, oyl_celery
from oyl.models import IngestJob
from oyl.vectors import ChromaVectors
from servicekit.db import Database
from servicekit.embedded import database_url
from servicekit.embeddings import embedder_from_settings
from servicekit.jobs import DEFAULT_TRANSIENT_ERRORS, JobContext, JobStore, job_task
from servicekit.storage import BlobStore

settings = Settings()
db = Database(database_url("oyl", settings.database_url))
store = JobStore(db, IngestJob)
app = oyl_celery(
    settings.redis_url,
    task_time_limit=settings.ingest_time_limit,
    visibility_timeout=settings.ingest_time_limit * 2 + 600,
)


@cache
def resources() -> IngestResources:
    root = settings.storage_root
    return IngestResources(
        db=db,
        blobs=BlobStore(root / "files"),
        vectors=ChromaVectors(
            host=settings.chroma_host, port=settings.chroma_port, path=root / "chroma"
        ),
        embedder=embedder_from_settings(settings),
        ocr=OcrEngine(),
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
    )


@job_task(
    app,
    store,
    name=INGEST_TASK,
    transient=(*DEFAULT_TRANSIENT_ERRORS, OperationalError),
    max_retries=3,
    retry_backoff=2.0,
    retry_backoff_max=60.0,
)
def ingest_document(job: JobContext[IngestJob], document_id: str) -> Any:
    return Ingestion(resources(), job.progress).run(uuid.UUID(document_id))
