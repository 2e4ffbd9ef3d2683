"""Manifests (pure): their shape, their consistency, and the scopes their capabilities grant."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, HttpUrl

from phiacta import scopes
from phiacta.errors import field_error

SUPPORTED_API_VERSIONS = ("v1",)


class Capabilities(BaseModel):
    can_write: bool = False
    can_read: bool = True
    claim_types: list[str] = Field(default_factory=list)
    """When not empty, the only claim types this extension may submit."""
    edge_types: list[str] = Field(default_factory=list)
    creates_artifacts: bool = False
    requires_user_auth: bool = False


class Manifest(BaseModel):
    extension_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,127}$")
    """By convention ``ext-{name}-v{major}``."""
    name: str = Field(min_length=1, max_length=128)
    version: str = Field(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    type: Literal["input", "output"]
    description: str | None = Field(default=None, max_length=5000)
    author: str | None = None
    license: str | None = None
    repository: str | None = None
    capabilities: Capabilities = Field(default_factory=Capabilities)
    api_version_required: str = "v1"
    sdk_version_required: str | None = None
    health_check_url: HttpUrl | None = None
    webhook_url: HttpUrl | None = None
    config_schema: dict[str, Any] | None = None
    event_subscriptions: list[str] = Field(default_factory=list, max_length=20)


class ManifestPatch(BaseModel):
    """What may change without re-registering (capabilities, and so scopes, may not)."""

    version: str | None = Field(default=None, pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    description: str | None = Field(default=None, max_length=5000)
    health_check_url: HttpUrl | None = None
    webhook_url: HttpUrl | None = None
    config_schema: dict[str, Any] | None = None
    event_subscriptions: list[str] | None = Field(default=None, max_length=20)


def manifest_problems(manifest: Manifest, known_edge_types: set[str]) -> list[dict[str, str]]:
    problems = []
    if manifest.api_version_required not in SUPPORTED_API_VERSIONS:
        problems.append(
            field_error(
                "api_version_required",
                "UNSUPPORTED",
                f"this backend serves {', '.join(SUPPORTED_API_VERSIONS)}",
            )
        )
    capabilities = manifest.capabilities
    if not capabilities.can_write and (capabilities.claim_types or capabilities.creates_artifacts):
        problems.append(
            field_error(
                "capabilities",
                "INCONSISTENT",
                "claim_types and creates_artifacts need can_write",
            )
        )
    for index, name in enumerate(capabilities.edge_types):
        if name not in known_edge_types:
            problems.append(
                field_error(
                    f"capabilities.edge_types[{index}]", "EDGE_TYPE_UNKNOWN", f"unknown {name!r}"
                )
            )
    return problems


def scopes_for(manifest: Manifest) -> list[str]:
    """can_write -> bundles:write; can_read -> claims:read, search:read; a webhook ->
    webhooks:manage (for its own webhooks)."""
    granted = set()
    if manifest.capabilities.can_write:
        granted.add(scopes.BUNDLES_WRITE)
    if manifest.capabilities.can_read:
        granted |= {scopes.CLAIMS_READ, scopes.SEARCH_READ}
    if manifest.webhook_url is not None:
        granted.add(scopes.WEBHOOKS_MANAGE)
    return sorted(granted)
