"""The principal: who is making a request, whatever the credential they presented.

Routers, services and repositories receive a ``Principal`` rather than a token or a key row, so
authorization rules (and "readable statements" filtered by subject or tenant) are written once
against one shape, for logged-in users and for API keys alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from servicekit.auth.scopes import Scopes, missing_scopes
from servicekit.auth.tokens import TokenClaims


class PrincipalKind(StrEnum):
    user = "user"
    api_key = "api_key"
    anonymous = "anonymous"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    # The user id (``sub``), or whoever an API key acts for; None only when anonymous.
    subject: str | None = None
    tenant_id: str | None = None
    roles: frozenset[str] = frozenset()
    scopes: Scopes = frozenset()
    # The login session of a user's access token: what logout revokes.
    session_id: str | None = None
    # The access token's ``jti`` or the API key's id, for audit logs.
    credential_id: str | None = None

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(kind=PrincipalKind.anonymous)

    @classmethod
    def from_access_token(cls, claims: TokenClaims) -> Principal:
        return cls(
            kind=PrincipalKind.user,
            subject=claims.subject,
            tenant_id=claims.tenant_id,
            roles=frozenset({claims.role}) if claims.role else frozenset(),
            scopes=claims.scopes,
            session_id=claims.session_id,
            credential_id=claims.token_id,
        )

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not PrincipalKind.anonymous

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    def missing_scopes(self, required: Iterable[str], *, superuser: str | None = None) -> Scopes:
        """The required scopes this principal lacks; holding ``superuser`` satisfies all."""
        return missing_scopes(self.scopes, required, superuser=superuser)
