"""API keys in the service's database: create (secret shown once), authenticate, revoke."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.auth.api_keys import ApiKeyScheme
from servicekit.auth.clock import Clock, utc_now
from servicekit.auth.errors import ExpiredApiKeyError, InvalidApiKeyError, RevokedApiKeyError
from servicekit.auth.models import ApiKeyMixin
from servicekit.auth.scopes import parse_scopes

ApiKeyT = TypeVar("ApiKeyT", bound=ApiKeyMixin)


@dataclass(frozen=True)
class CreatedApiKey(Generic[ApiKeyT]):
    """The stored row and the plaintext key, which exists nowhere else: show it once."""

    row: ApiKeyT
    plaintext: str = field(repr=False)


class ApiKeyStore(Generic[ApiKeyT]):
    """API keys of one service, in ``model``'s table, under ``scheme``'s prefix and pepper."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        model: type[ApiKeyT],
        scheme: ApiKeyScheme,
        *,
        last_used_resolution: timedelta = timedelta(minutes=1),
        clock: Clock = utc_now,
    ) -> None:
        """``last_used_resolution``: how stale ``last_used_at`` may get, so that a busy key
        does not turn every request into a write."""
        self._sessions = sessions
        self.model = model
        self.scheme = scheme
        self._last_used_resolution = last_used_resolution
        self._clock = clock

    async def create(
        self,
        *,
        scopes: Iterable[str] = (),
        expires_at: datetime | None = None,
        session: AsyncSession | None = None,
        **columns: Any,
    ) -> CreatedApiKey[ApiKeyT]:
        """A new key; ``columns`` fill the service's own columns (owner, tenant, name...).

        Pass ``session`` to create the key inside the caller's transaction (e.g. atomically with
        the extension it belongs to); otherwise it is committed on its own.
        """
        new = self.scheme.generate()
        row = self.model(
            id=uuid.uuid4(),
            public_id=new.public_id,
            secret_hash=new.secret_hash,
            scopes=sorted(parse_scopes(scopes)),
            created_at=self._clock(),
            expires_at=expires_at,
            **columns,
        )
        async with self._transaction(session) as db:
            db.add(row)
            await db.flush()
            if session is None:
                db.expunge(row)
        return CreatedApiKey(row=row, plaintext=new.plaintext)

    async def authenticate(self, plaintext: str) -> ApiKeyT:
        """The row of a valid key; ``InvalidApiKeyError`` (or its expired/revoked kinds) otherwise.

        Costs one indexed lookup, one HMAC and, at most once per ``last_used_resolution``, an
        update of ``last_used_at``.
        """
        key = self.scheme.parse(plaintext)
        now = self._clock()
        async with self._sessions.begin() as db:
            row = await db.scalar(select(self.model).where(self.model.public_id == key.public_id))
            if row is None or not self.scheme.verify(key, row.secret_hash):
                raise InvalidApiKeyError("Invalid API key")
            if row.revoked_at is not None:
                raise RevokedApiKeyError("API key has been revoked")
            if row.expires_at is not None and row.expires_at <= now:
                raise ExpiredApiKeyError("API key has expired")
            if row.last_used_at is None or now - row.last_used_at >= self._last_used_resolution:
                row.last_used_at = now
                await db.flush()
            db.expunge(row)
        return row

    async def revoke(self, key_id: uuid.UUID, *, session: AsyncSession | None = None) -> bool:
        """Revoke a key at once (its next request gets 401); False if unknown or already revoked."""
        async with self._transaction(session) as db:
            result = await db.execute(
                update(self.model)
                .where(self.model.id == key_id, self.model.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    @asynccontextmanager
    async def _transaction(self, session: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        if session is not None:
            yield session
            return
        async with self._sessions.begin() as db:
            yield db
