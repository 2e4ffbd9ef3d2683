from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SourceCreate(BaseModel):
    source_type: str = Field(pattern=r"^[a-z_]+$", max_length=64)
    title: str | None = Field(default=None, max_length=2000)
    external_ref: str | None = Field(default=None, max_length=2000)
    """A DOI, arXiv id or URL."""
    content_hash: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")
    attrs: dict[str, Any] = Field(default_factory=dict)


class SourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source_type: str
    title: str | None
    external_ref: str | None
    content_hash: str | None
    submitted_by: uuid.UUID
    submitted_at: datetime
    attrs: dict[str, Any]


class SourcePage(BaseModel):
    sources: list[SourceRead]
    next_cursor: str | None
    has_more: bool
