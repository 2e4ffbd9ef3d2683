"""Bodies of the prediction endpoints (the upstream shapes, with the fixes the spec asks for)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PredictRequest(BaseModel):
    input_data: dict[str, Any] = Field(
        description="input name -> nested list (a leading batch axis for several rows)"
    )
    request_id: str | None = Field(default=None, max_length=128)
    skip_cache: bool = False


class PredictionResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    model_id: uuid.UUID
    input_data: Any
    output_data: Any
    inference_time_ms: float
    """The run's inference time; on a cache hit, the original run's."""
    cached: bool
    request_id: str | None = None
    created_at: datetime


class PredictionPage(BaseModel):
    items: list[PredictionResponse]
    total: int
    page: int
    page_size: int
    total_pages: int
