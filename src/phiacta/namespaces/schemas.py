from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NamespaceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    parent: str | None = Field(default=None, description="The parent's path or id")
    description: str | None = Field(default=None, max_length=5000)
    attrs: dict[str, Any] = Field(default_factory=dict)


class NamespaceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    path: str
    parent_id: uuid.UUID | None
    description: str | None
    attrs: dict[str, Any]
    created_at: datetime


class NamespacePage(BaseModel):
    namespaces: list[NamespaceRead]
    next_cursor: str | None
    has_more: bool
