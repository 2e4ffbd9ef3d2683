"""Agents and API keys on the wire. A key's plaintext appears only in ``IssuedKey``, once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from phiacta.scopes import DEFAULT_AGENT_SCOPES, unknown_scopes

AgentType = Literal["human", "ai", "organization", "pipeline", "extension"]
RateTier = Literal["standard", "elevated", "unlimited"]


def _known_scopes(value: list[str]) -> list[str]:
    unknown = unknown_scopes(value)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    return sorted(set(value))


class AgentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    agent_type: AgentType
    external_id: str | None = Field(default=None, max_length=200)
    trust_score: float = Field(default=1.0, ge=0)
    attrs: dict[str, Any] = Field(default_factory=dict)
    scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_AGENT_SCOPES))
    """The scopes of the first key; ``issue_key: false`` creates the agent without one."""
    issue_key: bool = True
    rate_tier: RateTier = "standard"

    _scopes = field_validator("scopes")(_known_scopes)


class AgentRead(BaseModel):
    """Public fields only."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    agent_type: str
    external_id: str | None
    trust_score: float
    attrs: dict[str, Any]
    created_at: datetime


class KeyCreate(BaseModel):
    scopes: list[str] = Field(min_length=1)
    name: str | None = Field(default=None, max_length=200)
    expires_at: datetime | None = None
    rate_tier: RateTier = "standard"
    """Above ``standard`` only an admin may grant."""

    _scopes = field_validator("scopes")(_known_scopes)


class KeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    agent_id: uuid.UUID
    public_id: str
    name: str | None
    scopes: list[str]
    rate_tier: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    rotated_from: uuid.UUID | None


class IssuedKey(KeyRead):
    api_key: str
    """The plaintext key: shown this once, stored nowhere."""


class AgentCreated(BaseModel):
    agent: AgentRead
    key: IssuedKey | None
