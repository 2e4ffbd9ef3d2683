"""Bodies of retrieval tests."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class SearchMode(StrEnum):
    hybrid = "hybrid"
    dense = "dense"
    lexical = "lexical"


class Filters(BaseModel):
    document_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
    media_types: list[str] | None = Field(default=None, max_length=20)
    pages: tuple[int, int] | None = Field(default=None, description="First and last page")


class RetrievalRequest(BaseModel):
    query: Query
    top_k: int | None = Field(default=None, ge=1, le=50)
    min_score: float | None = Field(default=None, ge=-1.0, le=1.0)
    """Cosine similarity a chunk needs; default ``RETRIEVAL_MIN_SCORE``."""
    mode: SearchMode = SearchMode.hybrid
    filters: Filters = Field(default_factory=Filters)


class KnowledgeRetrievalRequest(RetrievalRequest):
    knowledge_base_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)


class Hit(BaseModel):
    rank: int
    chunk_id: uuid.UUID
    document_id: uuid.UUID
    document_name: str
    knowledge_base_id: uuid.UUID
    page: int
    section: str | None
    text: str
    score: float
    """Reciprocal-rank-fusion score (hybrid), else the single list's own score."""
    similarity: float
    dense_rank: int | None
    lexical_rank: int | None


class RetrievalResult(BaseModel):
    query: str
    mode: SearchMode
    min_score: float
    hits: list[Hit]
    took_ms: float
