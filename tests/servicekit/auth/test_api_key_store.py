"""API keys in PostgreSQL: created once, authenticated by public id + hash, revoked, expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.auth import (
    ApiKeyScheme,
    ApiKeyStore,
    ExpiredApiKeyError,
    InvalidApiKeyError,
    PrincipalKind,
    RevokedApiKeyError,
)

from .conftest import ApiKey


async def test_created_key_is_stored_only_as_hash(
    api_key_store: ApiKeyStore[ApiKey], sessions: async_sessionmaker[AsyncSession]
) -> None:
    created = await api_key_store.create(scopes=["claims:read", "bundles:write"], owner="ext-1")

    async with sessions() as db:
        row = await db.get(ApiKey, created.row.id)
    assert row is not None
    secret = created.plaintext.split("_")[2]
    stored_values = [str(value) for value in vars(row).values()]
    assert not any(secret in value for value in stored_values)
    assert row.public_id == created.plaintext.split("_")[1]
    assert sorted(row.scopes) == ["bundles:write", "claims:read"]
    assert row.owner == "ext-1"
    assert row.last_used_at is None


async def test_valid_key_authenticates_to_its_owner(api_key_store: ApiKeyStore[ApiKey]) -> None:
    created = await api_key_store.create(scopes=["predict"], owner="user-9")

    row = await api_key_store.authenticate(created.plaintext)

    assert row.id == created.row.id
    principal = row.to_principal()
    assert principal.kind is PrincipalKind.api_key
    assert principal.subject == "user-9"
    assert principal.scopes == {"predict"}
    assert principal.credential_id == str(created.row.id)


async def test_wrong_secret_is_refused(api_key_store: ApiKeyStore[ApiKey]) -> None:
    created = await api_key_store.create(owner="u")
    prefix, public_id, secret = created.plaintext.split("_")
    wrong = f"{prefix}_{public_id}_{secret[::-1]}"

    with pytest.raises(InvalidApiKeyError) as raised:
        await api_key_store.authenticate(wrong)
    assert type(raised.value) is InvalidApiKeyError


async def test_unknown_public_id_is_refused(
    api_key_store: ApiKeyStore[ApiKey], key_scheme: ApiKeyScheme
) -> None:
    never_stored = key_scheme.generate()
    with pytest.raises(InvalidApiKeyError) as raised:
        await api_key_store.authenticate(never_stored.plaintext)
    assert type(raised.value) is InvalidApiKeyError


async def test_key_of_another_service_is_refused(
    api_key_store: ApiKeyStore[ApiKey], sessions: async_sessionmaker[AsyncSession]
) -> None:
    other_service = ApiKeyStore(sessions, ApiKey, ApiKeyScheme("pk", SecretStr("other pepper")))
    created = await other_service.create(owner="u")
    with pytest.raises(InvalidApiKeyError):
        await api_key_store.authenticate(created.plaintext)


async def test_revoked_key_is_refused(api_key_store: ApiKeyStore[ApiKey]) -> None:
    created = await api_key_store.create(owner="u")
    await api_key_store.authenticate(created.plaintext)

    assert await api_key_store.revoke(created.row.id)
    assert not await api_key_store.revoke(created.row.id)

    with pytest.raises(RevokedApiKeyError):
        await api_key_store.authenticate(created.plaintext)


async def test_expired_key_is_refused(api_key_store: ApiKeyStore[ApiKey]) -> None:
    created = await api_key_store.create(
        owner="u", expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    with pytest.raises(ExpiredApiKeyError):
        await api_key_store.authenticate(created.plaintext)

    later = await api_key_store.create(owner="u", expires_at=datetime.now(UTC) + timedelta(days=1))
    assert (await api_key_store.authenticate(later.plaintext)).id == later.row.id


async def test_last_used_is_recorded_at_most_once_per_resolution(
    sessions: async_sessionmaker[AsyncSession], key_scheme: ApiKeyScheme
) -> None:
    clock = [datetime(2030, 1, 1, 12, 0, tzinfo=UTC)]
    store = ApiKeyStore(
        sessions,
        ApiKey,
        key_scheme,
        last_used_resolution=timedelta(minutes=1),
        clock=lambda: clock[0],
    )
    created = await store.create(owner="u")

    first_use = clock[0]
    assert (await store.authenticate(created.plaintext)).last_used_at == first_use
    clock[0] = first_use + timedelta(seconds=30)
    assert (await store.authenticate(created.plaintext)).last_used_at == first_use
    clock[0] = first_use + timedelta(minutes=2)
    assert (await store.authenticate(created.plaintext)).last_used_at == clock[0]


async def test_create_and_revoke_inside_the_callers_transaction(
    api_key_store: ApiKeyStore[ApiKey], sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Rolled back with the caller's transaction: the key never existed.
    async with sessions() as db, db.begin():
        created = await api_key_store.create(owner="u", session=db)
        await db.rollback()
    with pytest.raises(InvalidApiKeyError):
        await api_key_store.authenticate(created.plaintext)

    # Committed with it: usable, then revoked atomically with the caller's other changes.
    async with sessions() as db, db.begin():
        created = await api_key_store.create(owner="u", session=db)
    assert await api_key_store.authenticate(created.plaintext)
    async with sessions() as db, db.begin():
        assert await api_key_store.revoke(created.row.id, session=db)
    with pytest.raises(RevokedApiKeyError):
        await api_key_store.authenticate(created.plaintext)
