"""Request and response bodies of tenants, login, members and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oyl.identity.roles import Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]


class Quotas(BaseModel):
    max_documents: int | None = Field(default=None, ge=0)
    max_storage_bytes: int | None = Field(default=None, ge=0)
    max_tokens_per_day: int | None = Field(default=None, ge=0)


class TenantCreate(BaseModel):
    name: Name
    owner_email: Email
    owner_password: Password | None = None
    """Needed when the owner has no account yet."""
    quotas: Quotas = Field(default_factory=Quotas)


class TenantUpdate(BaseModel):
    name: Name | None = None
    quotas: Quotas | None = None
    """Platform administrators only."""


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    max_documents: int
    max_storage_bytes: int
    max_tokens_per_day: int
    created_at: datetime
    updated_at: datetime


class LoginRequest(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=256)
    tenant_id: uuid.UUID | None = None
    """Which tenant to act in; may be left out when the user belongs to exactly one."""


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth 2 token type, not a secret)
    expires_in: int
    tenant_id: uuid.UUID | None
    role: Role | None


class MembershipOut(BaseModel):
    tenant_id: uuid.UUID
    tenant_name: str
    role: Role


class MeOut(BaseModel):
    id: uuid.UUID | None
    email: str | None
    kind: str
    tenant_id: uuid.UUID | None
    role: Role | None
    is_platform_admin: bool
    memberships: list[MembershipOut]


class MemberCreate(BaseModel):
    email: Email
    role: Role
    password: Password | None = None
    """Needed when the person has no account yet."""
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] = ""


class MemberUpdate(BaseModel):
    role: Role


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    display_name: str
    role: Role
    created_at: datetime


class ApiKeyCreate(BaseModel):
    name: Name
    role: Role = Role.member
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    role: Role
    public_id: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str
    """The whole key: shown this once, never again."""
