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

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import HTTPConnection

from servicekit.auth.api_key_store import ApiKeyStore
from servicekit.auth.errors import AuthError, InvalidTokenError, RevokedTokenError
from servicekit.auth.principal import Principal
from servicekit.auth.refresh_tokens import RefreshTokenStore
from servicekit.auth.tokens import TokenCodec, TokenType
from servicekit.errors import Forbidden, Unauthorized
from servicekit.ratelimit import client_ip


class Authenticator:
    """Turns a presented credential into a ``Principal``.

    ``sessions``: when given, every access token tied to a login session is checked against it,
    so logout and reuse detection take effect at once (one indexed query per request); without
    it, access tokens stay valid until they expire. ``superuser_scope``: a scope that stands for
    all others (Phiacta's ``admin``).
    """

    def __init__(
        self,
        *,
        tokens: TokenCodec | None = None,
        sessions: RefreshTokenStore[Any] | None = None,
        api_keys: ApiKeyStore[Any] | None = None,
        superuser_scope: str | None = None,
    ) -> None:
        self.tokens = tokens
        self.sessions = sessions
        self.api_keys = api_keys
        self.superuser_scope = superuser_scope

    def install(self, app: Any) -> None:
        """Make this the authenticator of ``app`` (a FastAPI or Starlette app)."""
        app.state.authenticator = self

    async def authenticate(self, credential: str) -> Principal:
        """The principal behind an access token or API key (also for WebSocket ``?token=``).

        Raises an ``AuthError`` saying why the credential is refused.
        """
        if self.api_keys is not None and self.api_keys.scheme.owns(credential):
            key = await self.api_keys.authenticate(credential)
            return key.to_principal()
        if self.tokens is None:
            raise InvalidTokenError("Invalid credentials")
        claims = self.tokens.decode(credential, TokenType.access)
        if (
            self.sessions is not None
            and claims.session_id is not None
            and await self.sessions.is_session_revoked(claims.session_id)
        ):
            raise RevokedTokenError("Token has been revoked")
        return Principal.from_access_token(claims)

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
