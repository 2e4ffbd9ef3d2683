from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, HttpUrl


class IngestRequest(BaseModel):
    source_type: str = Field(pattern=r"^[a-z_]+$", max_length=64)
    external_ref: str | None = Field(default=None, max_length=2000)
    priority: int = Field(default=0, ge=-100, le=100)
    extension_id: str
    callback_url: HttpUrl | None = None
    attrs: dict[str, Any] = Field(default_factory=dict)


class IngestAccepted(BaseModel):
    job_id: uuid.UUID
    status: str
    extension_id: str
    estimated_completion: datetime | None = None


class IngestJobRead(BaseModel):
    job_id: uuid.UUID
    status: str
    extension_id: str
    source_type: str
    external_ref: str | None
    priority: int
    attrs: dict[str, Any]
    source_id: uuid.UUID | None
    bundle_id: uuid.UUID | None
    claims_created: int
    edges_created: int
    error: str | None
    created_at: datetime
    completed_at: datetime | None


class IngestComplete(BaseModel):
    bundle_id: uuid.UUID


class IngestFail(BaseModel):
    error: str = Field(min_length=1, max_length=5000)
