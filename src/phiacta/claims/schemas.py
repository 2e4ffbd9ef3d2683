from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from phiacta.edges.schemas import EdgeRead


class ClaimCreate(BaseModel):
    content: str = Field(min_length=1, max_length=10000)
    claim_type: str = Field(pattern=r"^[a-z_]+$", max_length=64)
    namespace: str = Field(min_length=1, description="A namespace path or id")
    formal_content: str | None = Field(default=None, max_length=100_000)
    attrs: dict[str, Any] = Field(default_factory=dict)
    status: Literal["active", "draft"] = "active"
    source_id: uuid.UUID | None = None
    """Records provenance: this claim was extracted from that source."""
    extraction_confidence: float | None = Field(default=None, ge=0, le=1)
    create_namespace: bool = False


class ClaimUpdate(BaseModel):
    content: str | None = Field(default=None, min_length=1, max_length=10000)
    formal_content: str | None = Field(default=None, max_length=100_000)
    attrs: dict[str, Any] | None = None
    source_id: uuid.UUID | None = None
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _changes_something(self) -> ClaimUpdate:
        if not self.model_fields_set & {"content", "formal_content", "attrs", "source_id"}:
            raise ValueError("give at least one of content, formal_content, attrs, source_id")
        if "content" in self.model_fields_set and self.content is None:
            raise ValueError("content cannot be null")
        return self


class ClaimRetract(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)
    retraction_source_id: uuid.UUID | None = None
    """The claim that states the retraction (a notice); it gets a ``responds_to`` edge."""


class NamespaceRef(BaseModel):
    id: uuid.UUID
    name: str
    path: str


class AgentRef(BaseModel):
    id: uuid.UUID
    name: str
    type: str


class ProvenanceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source_id: uuid.UUID
    extracted_by: uuid.UUID
    extraction_method: str | None
    location_in_source: dict[str, Any] | None
    confidence: float | None
    extracted_at: datetime


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reviewer_id: uuid.UUID
    verdict: str
    confidence: float
    comment: str | None
    created_at: datetime
    updated_at: datetime


class ArtifactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    artifact_type: str
    description: str | None
    storage_ref: str | None
    structured_data: dict[str, Any] | None


class LineageEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    status: str
    is_latest: bool
    created_at: datetime


class ClaimRead(BaseModel):
    id: uuid.UUID
    lineage_id: uuid.UUID
    version: int
    content: str
    claim_type: str
    namespace: NamespaceRef | None
    formal_content: str | None
    attrs: dict[str, Any]
    status: str
    supersedes: uuid.UUID | None
    created_at: datetime
    created_by: AgentRef
    is_latest: bool
    is_retracted: bool
    retraction_reason: str | None = None
    embedding_model: str | None = None
    provenance: list[ProvenanceRead] | None = None
    edges: list[EdgeRead] | None = None
    reviews: list[ReviewRead] | None = None
    artifacts: list[ArtifactRead] | None = None
    lineage: list[LineageEntry] | None = None


class ClaimPage(BaseModel):
    claims: list[ClaimRead]
    total_count: int
    next_cursor: str | None
    has_more: bool


class ClaimRetracted(BaseModel):
    id: uuid.UUID
    status: Literal["retracted"] = "retracted"
    retraction_edge_id: uuid.UUID | None
