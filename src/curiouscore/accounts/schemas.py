"""Accounts over HTTP."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Role = Literal["learner", "admin"]


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise ValueError("not a valid email address")
    return email


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    password: str = Field(min_length=1, max_length=256)

    _email = field_validator("email")(normalise_email)


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    password: str = Field(min_length=8, max_length=256)
    username: str | None = Field(default=None, min_length=1, max_length=64)

    _email = field_validator("email")(normalise_email)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=4096)


class LogoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str | None = Field(default=None, min_length=1, max_length=4096)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    username: str
    avatar_url: str | None
    role: Role
    xp: int
    level: int
    created_at: datetime


class ProfileUpdate(BaseModel):
    """Only these fields: XP, level and role are the server's to change (unknown keys: 422)."""

    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(default=None, min_length=1, max_length=64)
    avatar_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
