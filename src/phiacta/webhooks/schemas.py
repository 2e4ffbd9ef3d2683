from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

EventType = Literal[
    "claim_created",
    "claim_updated",
    "claim_retracted",
    "bundle_accepted",
    "bundle_rejected",
    "evidence_linked",
    "pending_reference_resolved",
    "ingestion_completed",
    "ingestion_failed",
]


class WebhookFilters(BaseModel):
    namespace_prefix: str | None = None
    extension_id: str | None = None


class WebhookCreate(BaseModel):
    url: HttpUrl
    event_types: list[EventType] = Field(min_length=1)
    filters: WebhookFilters = Field(default_factory=WebhookFilters)
    secret: str = Field(min_length=16, max_length=256)


class WebhookPatch(BaseModel):
    url: HttpUrl | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    filters: WebhookFilters | None = None
    secret: str | None = Field(default=None, min_length=16, max_length=256)
    status: Literal["active"] | None = None
    """Re-enable a failing or disabled webhook."""


class WebhookRead(BaseModel):
    webhook_id: uuid.UUID
    url: str
    event_types: list[str]
    filters: dict[str, str | None]
    status: str
    created_at: datetime


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    event_seq: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
