"""The API's scopes (spec §3): ``admin`` stands for all of them."""

from __future__ import annotations

from collections.abc import Iterable

from servicekit.auth.scopes import missing_scopes

ADMIN = "admin"
BUNDLES_WRITE = "bundles:write"
CLAIMS_READ = "claims:read"
CLAIMS_WRITE = "claims:write"
SEARCH_READ = "search:read"
EXTENSIONS_READ = "extensions:read"
EXTENSIONS_WRITE = "extensions:write"
WEBHOOKS_MANAGE = "webhooks:manage"

ALL_SCOPES = frozenset(
    {
        ADMIN,
        BUNDLES_WRITE,
        CLAIMS_READ,
        CLAIMS_WRITE,
        SEARCH_READ,
        EXTENSIONS_READ,
        EXTENSIONS_WRITE,
        WEBHOOKS_MANAGE,
    }
)
DEFAULT_AGENT_SCOPES = (CLAIMS_READ, SEARCH_READ)


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(set(scopes) - ALL_SCOPES)


def grants(held: Iterable[str], scope: str) -> bool:
    return can_delegate(held, (scope,))


def can_delegate(held: Iterable[str], requested: Iterable[str]) -> bool:
    """Whether a holder of ``held`` may issue a key with ``requested`` (never more than it has)."""
    return not missing_scopes(held, requested, superuser=ADMIN)
