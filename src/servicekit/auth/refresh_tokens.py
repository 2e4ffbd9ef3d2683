"""Refresh tokens in the service's database: issue, rotate (with reuse detection), revoke.

Every operation runs in a transaction of its own, taken from the session factory, rather than in
the caller's: when a reused token is detected the session must be revoked *and* an error raised,
and a caller whose transaction rolls back on that error would otherwise undo the revocation.
"""

from __future__ import annotations

import uuid
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.auth.clock import Clock, utc_now
from servicekit.auth.errors import InvalidTokenError, RevokedTokenError, TokenReuseError
from servicekit.auth.models import RefreshTokenMixin
from servicekit.auth.tokens import IssuedToken, TokenCodec, TokenType

RefreshTokenT = TypeVar("RefreshTokenT", bound=RefreshTokenMixin)


class RefreshTokenStore(Generic[RefreshTokenT]):
    """Login sessions as families of single-use refresh tokens, in ``model``'s table."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        model: type[RefreshTokenT],
        codec: TokenCodec,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self.model = model
        self.codec = codec
        self._clock = clock

    async def start_session(self, subject: str) -> IssuedToken:
        """Log ``subject`` in: a new session and its first refresh token.

        Issue the access token with ``session_id=issued.claims.session_id`` so that logging out
        revokes it too.
        """
        async with self._sessions.begin() as db:
            return self._add(db, subject, uuid.uuid4())

    async def rotate(self, refresh_token: str) -> IssuedToken:
        """Exchange a refresh token for the next one of its session (the old one is spent).

        Raises ``ExpiredTokenError``/``InvalidTokenError`` for a bad token, ``RevokedTokenError``
        for a logged-out session, and ``TokenReuseError`` (after revoking the whole session) when
        the token had already been rotated.
        """
        claims = self.codec.decode(refresh_token, TokenType.refresh)
        token_id = _as_uuid(claims.token_id)
        async with self._sessions.begin() as db:
            # The row lock makes two concurrent rotations of one token a reuse, not a fork.
            row = await db.get(self.model, token_id, with_for_update=True)
            if row is None:
                raise InvalidTokenError("Unknown refresh token")
            if row.revoked_at is not None:
                raise RevokedTokenError("Session has been revoked")
            reused = row.used_at is not None
            if reused:
                await self._revoke_where(db, self.model.session_id == row.session_id)
            else:
                row.used_at = self._clock()
                issued = self._add(db, row.subject, row.session_id)
        # Raised after the transaction has committed, so the revocation stands.
        if reused:
            raise TokenReuseError("Refresh token reused; the session has been revoked")
        return issued

    async def revoke(self, refresh_token: str) -> None:
        """Log out the session a (valid) refresh token belongs to."""
        claims = self.codec.decode(refresh_token, TokenType.refresh)
        await self.revoke_session(_as_uuid(claims.session_id))

    async def revoke_session(self, session_id: uuid.UUID | str) -> bool:
        """Log out one session (e.g. from an access token's ``sid``); False if nothing to revoke."""
        async with self._sessions.begin() as db:
            count = await self._revoke_where(db, self.model.session_id == _as_uuid(session_id))
        return count > 0

    async def revoke_subject(self, subject: str) -> int:
        """Log ``subject`` out everywhere (password change, account disabled): rows revoked."""
        async with self._sessions.begin() as db:
            return await self._revoke_where(db, self.model.subject == subject)

    async def is_session_revoked(self, session_id: uuid.UUID | str) -> bool:
        async with self._sessions() as db:
            revoked = exists().where(
                self.model.session_id == _as_uuid(session_id),
                self.model.revoked_at.is_not(None),
            )
            return bool(await db.scalar(select(revoked)))

    async def purge_expired(self) -> int:
        """Delete rows past their expiry (run periodically): rows deleted.

        Safe as long as access tokens live shorter than refresh tokens: a session's newest row
        outlives every access token issued with it, so its revocation is still on record.
        """
        async with self._sessions.begin() as db:
            result = await db.execute(
                delete(self.model).where(self.model.expires_at < self._clock())
            )
            return result.rowcount  # type: ignore[attr-defined]

    def _add(self, db: AsyncSession, subject: str, session_id: uuid.UUID) -> IssuedToken:
        token_id = uuid.uuid4()
        issued = self.codec.issue_refresh(
            subject, session_id=str(session_id), token_id=str(token_id), now=self._clock()
        )
        db.add(
            self.model(
                id=token_id,
                session_id=session_id,
                subject=subject,
                issued_at=issued.claims.issued_at,
                expires_at=issued.claims.expires_at,
            )
        )
        return issued

    async def _revoke_where(self, db: AsyncSession, condition: ColumnElement[bool]) -> int:
        result = await db.execute(
            update(self.model)
            .where(condition, self.model.revoked_at.is_(None))
            .values(revoked_at=self._clock())
        )
        return result.rowcount  # type: ignore[attr-defined]


def _as_uuid(value: uuid.UUID | str | None) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidTokenError("Invalid token") from exc
