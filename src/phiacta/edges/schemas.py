from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class EdgeCreate(BaseModel):
    source_id: uuid.UUID
    target_id: uuid.UUID
    edge_type: str = Field(min_length=1, max_length=64)
    strength: float | None = Field(default=None, ge=0, le=1)
    source_provenance: uuid.UUID | None = None
    """The source (paper, dataset...) this edge was asserted from."""
    attrs: dict[str, Any] = Field(default_factory=dict)


class EdgeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    source_id: uuid.UUID
    target_id: uuid.UUID
    edge_type: str
    strength: float | None
    created_by: uuid.UUID
    source_provenance: uuid.UUID | None
    attrs: dict[str, Any]
    created_at: datetime


class EdgePage(BaseModel):
    edges: list[EdgeRead]
    next_cursor: str | None
    has_more: bool


class EdgeTypeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str
    inverse_name: str | None
    category: str
    is_transitive: bool
    is_symmetric: bool
    is_anti_reflexive: bool
    is_acyclic: bool
    is_hard_dependency: bool


Direction = Literal["outgoing", "incoming", "both"]
