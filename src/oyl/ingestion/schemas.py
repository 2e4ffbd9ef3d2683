"""Bodies of documents and chunks."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    knowledge_base_id: uuid.UUID
    name: str
    media_type: str
    size_bytes: int
    sha256: str
    status: str
    progress: float
    error: str | None
    page_count: int
    ocr_page_count: int
    chunk_count: int
    timings: dict[str, float]
    created_at: datetime
    updated_at: datetime
    ready_at: datetime | None


class UploadOut(DocumentOut):
    duplicate: bool = False
    """True when this knowledge base already had the same content: nothing new was stored."""


class ChunkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID
    ordinal: int
    page: int
    start_offset: int
    end_offset: int
    section: str | None
    text: str
    token_count: int
    enabled: bool


class KnowledgeStatus(BaseModel):
    knowledge_base_id: uuid.UUID
    documents: int
    by_status: dict[str, int]
    chunks: int
    size_bytes: int
