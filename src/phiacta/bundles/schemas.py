"""Bundle submission and answer (spec §6.1)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

TEMP_ID = r"^[A-Za-z0-9_-]+$"


class BundleSource(BaseModel):
    source_type: str = Field(pattern=r"^[a-z_]+$", max_length=64)
    title: str | None = Field(default=None, max_length=2000)
    external_ref: str | None = Field(default=None, max_length=2000)
    content_hash: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")
    attrs: dict[str, Any] = Field(default_factory=dict)


class BundleClaim(BaseModel):
    temp_id: str = Field(pattern=TEMP_ID, max_length=64)
    content: str = Field(min_length=1, max_length=10000)
    claim_type: str = Field(pattern=r"^[a-z_]+$", max_length=64)
    namespace: str | None = Field(default=None, description="Path or id; else the bundle's")
    confidence: float | None = Field(default=None, ge=0, le=1)
    """Extraction confidence (did we read the source right?), stored on provenance."""
    formal_content: str | None = Field(default=None, max_length=100_000)
    attrs: dict[str, Any] = Field(default_factory=dict)


class BundleEdge(BaseModel):
    source_temp_id: str = Field(pattern=TEMP_ID, max_length=64)
    target_temp_id: str | None = Field(default=None, pattern=TEMP_ID, max_length=64)
    target_id: uuid.UUID | None = None
    target_external_ref: str | None = Field(default=None, min_length=1, max_length=2000)
    edge_type: str = Field(min_length=1, max_length=64)
    strength: float | None = Field(default=None, ge=0, le=1)
    attrs: dict[str, Any] = Field(default_factory=dict)


class BundleArtifact(BaseModel):
    temp_id: str = Field(pattern=TEMP_ID, max_length=64)
    artifact_type: str = Field(min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=10_000)
    storage_ref: str | None = Field(default=None, max_length=2000)
    content_inline: str | None = Field(default=None, max_length=1_000_000)
    structured_data: dict[str, Any] | None = None
    linked_claim_temp_ids: list[str] = Field(default_factory=list)


class BundleSubmit(BaseModel):
    idempotency_key: str = Field(min_length=1, max_length=256)
    contributor_id: str | None = Field(default=None, max_length=256)
    extension_id: str | None = Field(default=None, max_length=128)
    namespace: str | None = None
    """The default namespace of claims that name none."""
    source: BundleSource | None = None
    claims: list[BundleClaim] = Field(min_length=1)
    edges: list[BundleEdge] = Field(default_factory=list)
    artifacts: list[BundleArtifact] = Field(default_factory=list)
    create_namespace: bool = False


class CreatedClaim(BaseModel):
    temp_id: str
    id: uuid.UUID
    version: int = 1


class CreatedEdge(BaseModel):
    id: uuid.UUID | None
    source_id: uuid.UUID
    target_id: uuid.UUID | None
    edge_type: str
    pending_ref: str | None = None


class CreatedArtifact(BaseModel):
    temp_id: str
    id: uuid.UUID


class BundleWarning(BaseModel):
    type: str
    message: str
    claim_temp_id: str | None = None
    similar_claim_id: uuid.UUID | None = None
    similarity: float | None = None


class PendingRefState(BaseModel):
    external_ref: str
    status: Literal["pending", "resolved", "expired"]
    resolved_to: uuid.UUID | None = None


class BundleResponse(BaseModel):
    bundle_id: uuid.UUID
    status: Literal["accepted", "already_accepted"]
    source_id: uuid.UUID | None
    created_claims: list[CreatedClaim]
    created_edges: list[CreatedEdge]
    created_artifacts: list[CreatedArtifact]
    warnings: list[BundleWarning]
    pending_references: list[PendingRefState]
    resolved_references: list[PendingRefState] = Field(default_factory=list)
    """Earlier bundles' pending references that this bundle's source resolved."""


class BundleRead(BaseModel):
    id: uuid.UUID
    idempotency_key: str
    status: str
    submitted_by: uuid.UUID
    contributor_id: str | None
    extension_id: str | None
    claim_count: int
    edge_count: int
    artifact_count: int
    submitted_at: datetime
    source_id: uuid.UUID | None
