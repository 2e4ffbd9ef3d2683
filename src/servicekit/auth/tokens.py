"""JWT access and refresh tokens: encoding and checking only, no IO.

An access token is short-lived and checked on every request without a database round trip (except
the optional revocation check, see ``Authenticator``). A refresh token is long-lived, usable once,
and exists mostly as a row in the service's database (see ``RefreshTokenStore``); it is a JWT too so
that a forged or expired one is refused before any query.

Both carry ``type`` so that one cannot be used as the other, ``jti`` (a unique id) and, when they
belong to a login session, ``sid``: every token descended from one login shares it, which is what
logout and reuse detection revoke.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import SecretStr

from servicekit.auth.errors import ExpiredTokenError, InvalidTokenError, WrongTokenTypeError
from servicekit.auth.scopes import Scopes, format_scopes, parse_scopes


class TokenType(StrEnum):
    access = "access"
    refresh = "refresh"


# Claims this module writes itself; ``extra`` may not override them.
_RESERVED_CLAIMS = frozenset(
    {"sub", "exp", "iat", "nbf", "jti", "iss", "aud", "type", "sid", "scope", "role", "tid"}
)
_REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti"]


@dataclass(frozen=True)
class TokenSettings:
    """How a service signs its tokens (built from its settings: ``SECRET_KEY``, ``ALGORITHM``...).

    ``secret`` is the HMAC key for the ``HS*`` algorithms, or the PEM private key for the
    asymmetric ones (``RS*``, ``ES*``, ``PS*``, ``EdDSA``), whose public half verifies.
    """

    secret: SecretStr
    algorithm: str = "HS256"
    access_ttl: timedelta = timedelta(minutes=30)
    refresh_ttl: timedelta = timedelta(days=14)
    issuer: str | None = None
    audience: str | None = None
    # Tolerated clock difference between the issuing and the verifying replica.
    leeway: timedelta = timedelta(seconds=10)

    def __post_init__(self) -> None:
        if self.algorithm not in jwt.algorithms.get_default_algorithms() or (
            self.algorithm.lower() == "none"
        ):
            raise ValueError(f"unsupported JWT algorithm {self.algorithm!r}")
        if not self.secret.get_secret_value():
            raise ValueError("the JWT secret is empty")
        if self.access_ttl <= timedelta(0) or self.refresh_ttl <= timedelta(0):
            raise ValueError("token lifetimes must be positive")


@dataclass(frozen=True)
class TokenClaims:
    """What a decoded (and verified) token says."""

    subject: str
    type: TokenType
    token_id: str
    issued_at: datetime
    expires_at: datetime
    session_id: str | None = None
    scopes: Scopes = frozenset()
    role: str | None = None
    tenant_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed token and its claims (to store, or to answer ``expires_in``)."""

    token: str
    claims: TokenClaims

    @property
    def expires_in(self) -> int:
        """Lifetime in whole seconds, for an OAuth 2 style ``expires_in`` field."""
        return int((self.claims.expires_at - self.claims.issued_at).total_seconds())


class TokenCodec:
    """Sign and verify one service's tokens."""

    def __init__(self, settings: TokenSettings) -> None:
        self.settings = settings
        secret = settings.secret.get_secret_value()
        if settings.algorithm.startswith("HS"):
            self._signing_key: Any = secret
            self._verifying_key: Any = secret
        else:
            self._signing_key = load_pem_private_key(secret.encode(), password=None)
            self._verifying_key = self._signing_key.public_key()

    def issue_access(
        self,
        subject: str,
        *,
        session_id: str | None = None,
        scopes: Iterable[str] = (),
        role: str | None = None,
        tenant_id: str | None = None,
        extra: Mapping[str, Any] | None = None,
        ttl: timedelta | None = None,
        now: datetime | None = None,
    ) -> IssuedToken:
        """A short-lived access token; ``session_id`` ties it to a login session (for logout)."""
        clash = _RESERVED_CLAIMS.intersection(extra or {})
        if clash:
            raise ValueError(f"extra claims may not override {sorted(clash)}")
        issued = _issued_at(now)
        claims = TokenClaims(
            subject=subject,
            type=TokenType.access,
            token_id=_new_token_id(),
            issued_at=issued,
            expires_at=issued + (ttl or self.settings.access_ttl),
            session_id=session_id,
            scopes=parse_scopes(scopes),
            role=role,
            tenant_id=tenant_id,
            extra=dict(extra or {}),
        )
        return IssuedToken(self._encode(claims), claims)

    def issue_refresh(
        self,
        subject: str,
        *,
        session_id: str,
        token_id: str | None = None,
        ttl: timedelta | None = None,
        now: datetime | None = None,
    ) -> IssuedToken:
        """A refresh token of login session ``session_id``; ``token_id`` is its row's id."""
        issued = _issued_at(now)
        claims = TokenClaims(
            subject=subject,
            type=TokenType.refresh,
            token_id=token_id or _new_token_id(),
            issued_at=issued,
            expires_at=issued + (ttl or self.settings.refresh_ttl),
            session_id=session_id,
        )
        return IssuedToken(self._encode(claims), claims)

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        """Verify signature, expiry, issuer, audience and type; raise an ``InvalidTokenError``.

        Revocation is not checked here (it needs the database): see ``RefreshTokenStore``.
        """
        try:
            payload = jwt.decode(
                token,
                self._verifying_key,
                algorithms=[self.settings.algorithm],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ExpiredTokenError("Token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidTokenError("Invalid token") from exc
        try:
            claims = _claims_from_payload(payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidTokenError("Invalid token") from exc
        if claims.type is not expected:
            raise WrongTokenTypeError(
                f"Wrong token type: expected {expected.value}, got {claims.type.value}"
            )
        return claims

    def _encode(self, claims: TokenClaims) -> str:
        payload: dict[str, Any] = {
            **claims.extra,
            "sub": claims.subject,
            "type": claims.type.value,
            "jti": claims.token_id,
            "iat": int(claims.issued_at.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
        }
        optional = {
            "sid": claims.session_id,
            "scope": format_scopes(claims.scopes) if claims.scopes else None,
            "role": claims.role,
            "tid": claims.tenant_id,
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
        }
        payload.update({name: value for name, value in optional.items() if value is not None})
        return jwt.encode(payload, self._signing_key, algorithm=self.settings.algorithm)


def _claims_from_payload(payload: Mapping[str, Any]) -> TokenClaims:
    return TokenClaims(
        subject=str(payload["sub"]),
        type=TokenType(payload["type"]),
        token_id=str(payload["jti"]),
        issued_at=datetime.fromtimestamp(payload["iat"], UTC),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        session_id=payload.get("sid"),
        scopes=parse_scopes(payload.get("scope")),
        role=payload.get("role"),
        tenant_id=payload.get("tid"),
        extra={name: value for name, value in payload.items() if name not in _RESERVED_CLAIMS},
    )


def _new_token_id() -> str:
    return str(uuid.uuid4())


def _issued_at(now: datetime | None) -> datetime:
    # Whole seconds: that is all a JWT keeps, and the claims returned at issue time should equal
    # the ones decoded later.
    return (now or datetime.now(UTC)).replace(microsecond=0)
