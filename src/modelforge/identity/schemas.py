"""Bodies of the sign-in, account and API-token endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from modelforge.identity.scopes import ALL, USER_SCOPES

LOGIN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$"


class RegisterRequest(BaseModel):
    login: str = Field(pattern=LOGIN_PATTERN)
    password: str = Field(min_length=10, max_length=1024)
    name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=320)


class LoginRequest(BaseModel):
    login: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class RefreshRequest(BaseModel):
    refresh_token: str


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth 2 type name, not a secret)
    expires_in: int


class UserResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    login: str
    name: str | None
    email: str | None
    avatar_url: str | None
    is_admin: bool
    github_id: int | None
    created_at: datetime


class ApiTokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(default_factory=lambda: list(USER_SCOPES))
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = set(scopes) - set(ALL)
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}; choose among {list(ALL)}")
        if not scopes:
            raise ValueError("a token needs at least one scope")
        return sorted(set(scopes))


class ApiTokenResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    public_id: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedApiTokenResponse(ApiTokenResponse):
    token: str = Field(description="The secret token: shown this once, store it now")
