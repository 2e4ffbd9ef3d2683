"""Authentication without a database round trip on most requests.

The kit's ``Authenticator`` asks PostgreSQL on every request: whether an access token's login
session was revoked (logout, refresh-token reuse), and the API token's row. On the prediction hot
path that is most of the server's overhead, so this subclass remembers, per process and for
``ttl_seconds`` (2 s by default):

- that a login session was *not* revoked (access tokens are still verified by signature, type,
  issuer and expiry on every request; only the revocation lookup is cached);
- that an API token is valid, with the principal it stands for, keyed by a SHA-256 of the
  presented secret, and never past the token's own expiry.

A revocation made through this process (logout, reuse detection, ``DELETE /tokens/{id}``) evicts
its entries at once, so this process refuses the credential on its next request. Another worker
process keeps accepting it until its own entry expires: at most ``ttl_seconds`` after the
revocation committed. The same bound applies to an admin demoted while one of their API tokens
is cached (it keeps its admin powers that long).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelforge.local_cache import LocalTtlCache
from servicekit.auth import (
    ApiKeyStore,
    Authenticator,
    InvalidTokenError,
    Principal,
    RefreshTokenStore,
    RevokedTokenError,
    TokenCodec,
    TokenType,
)

DEFAULT_TTL_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class _VerifiedKey:
    token_id: uuid.UUID
    principal: Principal


class CachingAuthenticator(Authenticator):
    def __init__(
        self,
        *,
        tokens: TokenCodec,
        sessions: RefreshTokenStore[Any],
        api_keys: ApiKeyStore[Any],
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = 10_000,
    ) -> None:
        super().__init__(tokens=tokens, sessions=sessions, api_keys=api_keys)
        self._live_sessions: LocalTtlCache[str, bool] = LocalTtlCache(
            ttl_seconds, max_entries=max_entries
        )
        self._verified_keys: LocalTtlCache[bytes, _VerifiedKey] = LocalTtlCache(
            ttl_seconds, max_entries=max_entries
        )
        # Bumped by every eviction: a lookup that started before a revocation must not put its
        # (now stale) "valid" answer back after the eviction.
        self._generation = 0

    async def authenticate(self, credential: str) -> Principal:
        if self.api_keys is not None and self.api_keys.scheme.owns(credential):
            return await self._api_key_principal(credential)
        if self.tokens is None:
            raise InvalidTokenError("Invalid credentials")
        claims = self.tokens.decode(credential, TokenType.access)
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
        row = await self.api_keys.authenticate(credential)
        principal: Principal = row.to_principal()
        if generation == self._generation:
            ttl = None
            if row.expires_at is not None:
                ttl = (row.expires_at - datetime.now(UTC)).total_seconds()
            self._verified_keys.put(digest, _VerifiedKey(row.id, principal), ttl_seconds=ttl)
        return principal

    def forget_session(self, session_id: str) -> None:
        """A login session was revoked: its access tokens are checked again from now on."""
        self._generation += 1
        self._live_sessions.evict(session_id)

    def forget_api_token(self, token_id: uuid.UUID) -> None:
        """An API token was revoked: it is looked up (and refused) from now on."""
        self._generation += 1
        self._verified_keys.evict_where(lambda _, key: key.token_id == token_id)
