"""The registry's request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from modelforge.models import ModelStatus, Visibility

# Names may contain "/" (``team/churn``): the by-name routes take the rest of the path.
_NAME = Field(min_length=1, max_length=255)
_VERSION = Field(default="1.0.0", min_length=1, max_length=50)


def _no_surrounding_space(value: str | None) -> str | None:
    if value is not None and value != value.strip():
        raise ValueError("must not start or end with whitespace")
    if value is not None and any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("must not contain control characters")
    return value


def _addressable_name(value: str | None) -> str | None:
    """A name the by-name routes can reach: "/" only between non-empty segments."""
    if value is not None and (value.startswith("/") or value.endswith("/") or "//" in value):
        raise ValueError("may contain '/' only between non-empty parts (e.g. 'team/churn')")
    return value


class ModelCreate(BaseModel):
    name: str = _NAME
    version: str = _VERSION
    description: str | None = Field(default=None, max_length=10_000)
    visibility: Visibility = Visibility.private
    model_metadata: dict[str, Any] | None = None

    _trimmed = field_validator("name", "version")(_no_surrounding_space)
    _addressable = field_validator("name")(_addressable_name)


class ModelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    version: str | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=10_000)
    visibility: Visibility | None = None
    status: ModelStatus | None = None

    _trimmed = field_validator("name", "version")(_no_surrounding_space)
    _addressable = field_validator("name")(_addressable_name)


class TensorSpec(BaseModel):
    name: str
    dtype: str
    shape: list[int | None] | None


class ModelResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    version: str
    description: str | None
    visibility: Visibility
    status: ModelStatus
    file_size_bytes: int | None
    file_hash: str | None
    input_schema: list[TensorSpec] | None
    output_schema: list[TensorSpec] | None
    model_metadata: dict[str, Any] | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime


class ModelPage(BaseModel):
    items: list[ModelResponse]
    total: int
    page: int
    page_size: int
    total_pages: int


class UploadResponse(BaseModel):
    id: uuid.UUID
    file_size_bytes: int
    file_hash: str
    status: ModelStatus
    message: str


class ValidationResponse(BaseModel):
    id: uuid.UUID
    valid: bool
    status: ModelStatus
    input_schema: list[TensorSpec] | None
    output_schema: list[TensorSpec] | None
    model_metadata: dict[str, Any] | None
    message: str


class VersionEntry(BaseModel):
    id: uuid.UUID
    version: str
    status: ModelStatus
    created_at: datetime


class VersionList(BaseModel):
    name: str
    owner: str | None
    versions: list[VersionEntry]
    total: int
    latest_version: str | None


class AliasSet(BaseModel):
    version: str = Field(min_length=1, max_length=50)


class AliasResponse(BaseModel):
    alias: str
    model_id: uuid.UUID
    version: str
    updated_at: datetime
