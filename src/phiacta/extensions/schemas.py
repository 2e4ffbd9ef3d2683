from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class Registered(BaseModel):
    extension_id: str
    agent_id: uuid.UUID
    api_key: str
    """Shown this once."""
    status: str
    scopes: list[str]
    registered_at: datetime


class ExtensionSummary(BaseModel):
    extension_id: str
    name: str
    version: str
    type: str
    description: str | None
    status: str
    verified: bool
    capabilities: dict[str, Any]


class ExtensionDetail(ExtensionSummary):
    agent_id: uuid.UUID
    manifest: dict[str, Any]
    registered_at: datetime
    updated_at: datetime


class ExtensionList(BaseModel):
    extensions: list[ExtensionSummary]


class RotatedKey(BaseModel):
    extension_id: str
    api_key: str
    scopes: list[str]


class ExtensionHealth(BaseModel):
    extension_id: str
    status: str
    last_check: datetime | None
    uptime_seconds: float | None
    consecutive_failures: int
