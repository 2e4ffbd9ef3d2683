"""Refresh-token sessions in PostgreSQL: rotation, reuse detection, logout, expiry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.auth import (
    ExpiredTokenError,
    InvalidTokenError,
    RefreshTokenStore,
    RevokedTokenError,
    TokenCodec,
    TokenReuseError,
    TokenType,
    WrongTokenTypeError,
)

from .conftest import RefreshToken


def new_subject() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def test_start_session_stores_the_token(
    refresh_store: RefreshTokenStore[RefreshToken], sessions: async_sessionmaker[AsyncSession]
) -> None:
    subject = new_subject()
    issued = await refresh_store.start_session(subject)

    assert issued.claims.type is TokenType.refresh
    assert issued.claims.subject == subject
    async with sessions() as db:
        row = await db.get(RefreshToken, uuid.UUID(issued.claims.token_id))
    assert row is not None
    assert row.subject == subject
    assert str(row.session_id) == issued.claims.session_id
    assert row.used_at is None and row.revoked_at is None


async def test_rotation_issues_next_token_of_same_session(
    refresh_store: RefreshTokenStore[RefreshToken],
) -> None:
    first = await refresh_store.start_session(new_subject())
    second = await refresh_store.rotate(first.token)
    third = await refresh_store.rotate(second.token)

    assert len({first.token, second.token, third.token}) == 3
    assert first.claims.session_id == second.claims.session_id == third.claims.session_id
    assert third.claims.subject == first.claims.subject


async def test_reusing_a_rotated_token_revokes_the_whole_session(
    refresh_store: RefreshTokenStore[RefreshToken],
) -> None:
    first = await refresh_store.start_session(new_subject())
    second = await refresh_store.rotate(first.token)

    # A thief replays the token the client has already rotated.
    with pytest.raises(TokenReuseError):
        await refresh_store.rotate(first.token)

    # The legitimate client's newest token is dead too, and so is the session.
    with pytest.raises(RevokedTokenError):
        await refresh_store.rotate(second.token)
    assert await refresh_store.is_session_revoked(second.claims.session_id)


async def test_reuse_detection_does_not_touch_other_sessions(
    refresh_store: RefreshTokenStore[RefreshToken],
) -> None:
    subject = new_subject()
    laptop = await refresh_store.start_session(subject)
    phone = await refresh_store.start_session(subject)
    await refresh_store.rotate(laptop.token)

    with pytest.raises(TokenReuseError):
        await refresh_store.rotate(laptop.token)

    assert not await refresh_store.is_session_revoked(phone.claims.session_id)
    assert (await refresh_store.rotate(phone.token)).claims.subject == subject


async def test_concurrent_rotations_of_one_token_are_a_reuse(
    refresh_store: RefreshTokenStore[RefreshToken],
) -> None:
    issued = await refresh_store.start_session(new_subject())

    results = await asyncio.gather(
        refresh_store.rotate(issued.token),
        refresh_store.rotate(issued.token),
        return_exceptions=True,
    )

    assert sum(isinstance(result, TokenReuseError) for result in results) == 1
    assert await refresh_store.is_session_revoked(issued.claims.session_id)


async def test_logout_revokes_the_session(refresh_store: RefreshTokenStore[RefreshToken]) -> None:
    issued = await refresh_store.start_session(new_subject())
    rotated = await refresh_store.rotate(issued.token)

    await refresh_store.revoke(rotated.token)

    assert await refresh_store.is_session_revoked(issued.claims.session_id)
    with pytest.raises(RevokedTokenError):
        await refresh_store.rotate(rotated.token)


async def test_revoke_session_by_id_and_unknown_session(
    refresh_store: RefreshTokenStore[RefreshToken],
) -> None:
    issued = await refresh_store.start_session(new_subject())

    assert await refresh_store.revoke_session(issued.claims.session_id)
    assert not await refresh_store.revoke_session(issued.claims.session_id)  # already revoked
    assert not await refresh_store.revoke_session(uuid.uuid4())
    assert not await refresh_store.is_session_revoked(uuid.uuid4())


async def test_revoke_subject_logs_out_every_session(
    refresh_store: RefreshTokenStore[RefreshToken],
) -> None:
    subject, bystander = new_subject(), new_subject()
    sessions = [await refresh_store.start_session(subject) for _ in range(3)]
    other = await refresh_store.start_session(bystander)

    assert await refresh_store.revoke_subject(subject) == 3

    for issued in sessions:
        with pytest.raises(RevokedTokenError):
            await refresh_store.rotate(issued.token)
    assert not await refresh_store.is_session_revoked(other.claims.session_id)


async def test_expired_refresh_token_is_refused(
    sessions: async_sessionmaker[AsyncSession], codec: TokenCodec
) -> None:
    month_ago = datetime.now(UTC) - timedelta(days=30)
    past = RefreshTokenStore(sessions, RefreshToken, codec, clock=lambda: month_ago)
    issued = await past.start_session(new_subject())

    now = RefreshTokenStore(sessions, RefreshToken, codec)
    with pytest.raises(ExpiredTokenError):
        await now.rotate(issued.token)


async def test_access_token_is_refused_for_rotation(
    refresh_store: RefreshTokenStore[RefreshToken], codec: TokenCodec
) -> None:
    with pytest.raises(WrongTokenTypeError):
        await refresh_store.rotate(codec.issue_access("u1").token)


async def test_tampered_and_unknown_tokens_are_refused(
    refresh_store: RefreshTokenStore[RefreshToken], codec: TokenCodec
) -> None:
    issued = await refresh_store.start_session(new_subject())
    header, payload, signature = issued.token.split(".")
    with pytest.raises(InvalidTokenError):
        await refresh_store.rotate(f"{header}.{payload}.{signature[::-1]}")

    # Correctly signed, but never stored (e.g. purged): refused.
    stray = codec.issue_refresh("u1", session_id=str(uuid.uuid4()))
    with pytest.raises(InvalidTokenError):
        await refresh_store.rotate(stray.token)


async def test_purge_deletes_only_expired_rows(
    sessions: async_sessionmaker[AsyncSession], codec: TokenCodec
) -> None:
    month_ago = datetime.now(UTC) - timedelta(days=30)
    past = RefreshTokenStore(sessions, RefreshToken, codec, clock=lambda: month_ago)
    now = RefreshTokenStore(sessions, RefreshToken, codec)
    old = await past.start_session(new_subject())
    fresh = await now.start_session(new_subject())

    assert await now.purge_expired() >= 1

    async with sessions() as db:
        ids = set(await db.scalars(select(RefreshToken.id)))
        assert uuid.UUID(old.claims.token_id) not in ids
        assert uuid.UUID(fresh.claims.token_id) in ids
