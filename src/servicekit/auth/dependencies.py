"""FastAPI dependencies: the ``Principal`` of a request, and guards on scopes and roles.

A service builds one ``Authenticator`` at startup (with its token codec and stores) and installs
it on its app; routers, wherever they are defined, then declare what they need::

    @router.get("/claims")
    async def list_claims(principal: Principal = Depends(require("claims:read"))): ...

Credentials are read from ``Authorization: Bearer <token or API key>`` and from ``X-API-Key``.
Missing credentials on a guarded route, or any invalid credential, answer 401 with
``WWW-Authenticate``; a valid principal lacking a scope or role answers 403.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from servicekit.auth.api_key_store import ApiKeyStore
from servicekit.auth.errors import AuthError, InvalidTokenError, RevokedTokenError
from servicekit.auth.principal import Principal
from servicekit.auth.refresh_tokens import RefreshTokenStore
from servicekit.auth.tokens import TokenClaims, TokenCodec, TokenType
from servicekit.errors import Forbidden, Unauthorized
from servicekit.ratelimit import client_ip
from servicekit.ttl_cache import TtlCache


@dataclass(frozen=True, slots=True)
class _VerifiedKey:
    key_id: Any
    principal: Principal


class Authenticator:
    """Turns a presented credential into a ``Principal``.

    ``sessions``: when given, every access token tied to a login session is checked against it,
    so logout and reuse detection take effect at once (one indexed query per request); without
    it, access tokens stay valid until they expire. ``superuser_scope``: a scope that stands for
    all others (Phiacta's ``admin``).

    ``cache_ttl_seconds`` (0: off) lets a hot path skip that work on most requests: for that
    long, per process, it remembers a verified access token (signature, claims; never past its
    expiry), that a login session was *not* revoked, and a valid API key with its principal
    (keyed by a SHA-256 of the secret, never past the key's expiry). A revocation made through
    this process is applied at once when the service calls :meth:`forget_session` /
    :meth:`forget_api_key`; other processes accept the revoked credential until their entry
    expires, so ``cache_ttl_seconds`` is the staleness bound between processes (the same bound
    applies to a change of an API key owner's roles).
    """

    def __init__(
        self,
        *,
        tokens: TokenCodec | None = None,
        sessions: RefreshTokenStore[Any] | None = None,
        api_keys: ApiKeyStore[Any] | None = None,
        superuser_scope: str | None = None,
        cache_ttl_seconds: float = 0.0,
        cache_max_entries: int = 10_000,
    ) -> None:
        self.tokens = tokens
        self.sessions = sessions
        self.api_keys = api_keys
        self.superuser_scope = superuser_scope
        self._verified_tokens: TtlCache[str, TokenClaims] = TtlCache(
            cache_ttl_seconds, max_entries=cache_max_entries
        )
        self._live_sessions: TtlCache[str, bool] = TtlCache(
            cache_ttl_seconds, max_entries=cache_max_entries
        )
        self._verified_keys: TtlCache[bytes, _VerifiedKey] = TtlCache(
            cache_ttl_seconds, max_entries=cache_max_entries
        )
        # Bumped by every eviction: a lookup that started before a revocation must not put its
        # (now stale) "valid" answer back after the eviction.
        self._generation = 0

    def install(self, app: Any) -> None:
        """Make this the authenticator of ``app`` (a FastAPI or Starlette app)."""
        app.state.authenticator = self

    async def authenticate(self, credential: str) -> Principal:
        """The principal behind an access token or API key (also for WebSocket ``?token=``).

        Raises an ``AuthError`` saying why the credential is refused.
        """
        if self.api_keys is not None and self.api_keys.scheme.owns(credential):
            return await self._api_key_principal(credential)
        if self.tokens is None:
            raise InvalidTokenError("Invalid credentials")
        claims = self._verified_tokens.get(credential)
        if claims is None:
            claims = self.tokens.decode(credential, TokenType.access)
            self._verified_tokens.put(credential, claims, ttl_seconds=_seconds_left(claims))
        session_id = claims.session_id
        if (
            self.sessions is not None
            and session_id is not None
            and self._live_sessions.get(session_id) is None
        ):
            generation = self._generation
            if await self.sessions.is_session_revoked(session_id):
                raise RevokedTokenError("Token has been revoked")
            if generation == self._generation:
                self._live_sessions.put(session_id, True)
        return Principal.from_access_token(claims)

    async def _api_key_principal(self, credential: str) -> Principal:
        assert self.api_keys is not None
        digest = hashlib.sha256(credential.encode()).digest()
        cached = self._verified_keys.get(digest)
        if cached is not None:
            return cached.principal
        generation = self._generation
        key = await self.api_keys.authenticate(credential)
        principal: Principal = key.to_principal()
        if generation == self._generation:
            ttl = None
            if key.expires_at is not None:
                ttl = (key.expires_at - datetime.now(UTC)).total_seconds()
            self._verified_keys.put(digest, _VerifiedKey(key.id, principal), ttl_seconds=ttl)
        return principal

    def forget_session(self, session_id: str) -> None:
        """A login session was revoked: its access tokens are checked again from now on."""
        self._generation += 1
        self._live_sessions.evict(session_id)

    def forget_api_key(self, key_id: Any) -> None:
        """An API key was revoked: it is looked up (and refused) from now on."""
        self._generation += 1
        self._verified_keys.evict_where(lambda _, entry: entry.key_id == key_id)

    async def principal_of(self, credential: str | None) -> Principal:
        """The principal of a request presenting ``credential`` (None: anonymous).

        An invalid credential is a 401 even on routes that allow anonymous access, so a client
        with a stale token learns it instead of silently seeing less.
        """
        if not credential:
            return Principal.anonymous()
        try:
            return await self.authenticate(credential)
        except AuthError as exc:
            description = str(exc).replace('"', "'")
            raise Unauthorized(
                str(exc),
                code=exc.code,
                headers={
                    "WWW-Authenticate": (
                        f'Bearer error="invalid_token", error_description="{description}"'
                    )
                },
            ) from exc


def _seconds_left(claims: TokenClaims) -> float:
    return (claims.expires_at - datetime.now(UTC)).total_seconds()


def authenticator_of(connection: HTTPConnection) -> Authenticator:
    try:
        authenticator: Authenticator = connection.app.state.authenticator
    except AttributeError:
        raise RuntimeError(
            "no Authenticator installed on this app: call authenticator.install(app) at startup"
        ) from None
    return authenticator


# Declared through FastAPI's security classes so that the OpenAPI document (and /docs'
# "Authorize" button) shows both ways to authenticate; they never answer errors themselves.
_bearer = HTTPBearer(auto_error=False, description="An access token, or an API key")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key")


async def current_principal(
    connection: HTTPConnection,
    bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    api_key: str | None = Depends(_api_key),
) -> Principal:
    """The request's principal, anonymous allowed (for routes that serve both).

    ``Authorization: Bearer`` wins over ``X-API-Key`` when a client sends both.
    """
    credential = bearer.credentials if bearer is not None else api_key
    return await authenticator_of(connection).principal_of(credential)


def require(
    *scopes: str, roles: Iterable[str] = (), forbidden_message: str | None = None
) -> Callable[..., Awaitable[Principal]]:
    """A dependency returning an authenticated principal holding every scope in ``scopes`` and,
    when ``roles`` is given, at least one of them (e.g. ``require(roles=["admin"])``).

    ``forbidden_message`` replaces the default 403 message (CuriousCore's
    "Admin access required").
    """
    required_roles = frozenset(roles)

    async def dependency(
        connection: HTTPConnection, principal: Principal = Depends(current_principal)
    ) -> Principal:
        if not principal.is_authenticated:
            raise Unauthorized("Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        superuser = authenticator_of(connection).superuser_scope
        missing = principal.missing_scopes(scopes, superuser=superuser)
        if missing:
            needed = " ".join(sorted(missing))
            raise Forbidden(
                forbidden_message or f"Missing scope: {needed}",
                code="insufficient_scope",
                details={"required_scopes": sorted(scopes), "missing_scopes": sorted(missing)},
                headers={
                    "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'
                },
            )
        if required_roles and not principal.has_any_role(required_roles):
            raise Forbidden(
                forbidden_message or "Insufficient role",
                code="insufficient_role",
                details={"required_roles": sorted(required_roles)},
            )
        return principal

    return dependency


async def principal_rate_key(
    connection: HTTPConnection, principal: Principal = Depends(current_principal)
) -> str:
    """Rate-limit key function: the principal's own budget, or the client IP when anonymous.

    ``limiter.limit("120/minute", key=principal_rate_key)``.
    """
    if principal.is_authenticated:
        return f"{principal.kind.value}:{principal.subject}"
    return client_ip(connection)
