"""Scopes: the permissions an access token or an API key carries, as a set of strings.

Scopes are compared as plain strings (``claims:read``, ``predict``); a service may name one
*superuser* scope (Phiacta's ``admin``) that stands for every other. On the wire (the JWT ``scope``
claim) they are written space-separated, as OAuth 2 does, so a scope may not contain whitespace.
"""

from __future__ import annotations

from collections.abc import Iterable

Scopes = frozenset[str]


def parse_scopes(value: str | Iterable[str] | None) -> Scopes:
    """Scopes from a space-separated string or any iterable of names; ``None`` is no scope."""
    if value is None:
        return frozenset()
    names = value.split() if isinstance(value, str) else list(value)
    for name in names:
        if not name or any(char.isspace() for char in name):
            raise ValueError(f"invalid scope {name!r}: scopes are non-empty and have no spaces")
    return frozenset(names)


def format_scopes(scopes: Iterable[str]) -> str:
    """The space-separated form, sorted so that equal sets always encode the same way."""
    return " ".join(sorted(parse_scopes(scopes)))


def missing_scopes(
    granted: Iterable[str], required: Iterable[str], *, superuser: str | None = None
) -> Scopes:
    """The required scopes that ``granted`` lacks (empty: allowed).

    Holding the ``superuser`` scope satisfies every requirement.
    """
    granted_set = frozenset(granted)
    if superuser is not None and superuser in granted_set:
        return frozenset()
    return frozenset(required) - granted_set
