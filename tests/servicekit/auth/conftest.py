"""Fixtures of the auth tests: tables made from the kit's mixins in a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from pydantic import SecretStr
from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.auth import (
    ApiKeyMixin,
    ApiKeyScheme,
    ApiKeyStore,
    Principal,
    RefreshTokenMixin,
    RefreshTokenStore,
    TokenCodec,
    TokenSettings,
)


class Base(DeclarativeBase):
    pass


class RefreshToken(RefreshTokenMixin, Base):
    __tablename__ = "authtest_refresh_tokens"


class ApiKey(ApiKeyMixin, Base):
    """Like a service's table: the mixin plus an owner, who requests made with the key act as."""

    __tablename__ = "authtest_api_keys"
    owner: Mapped[str] = mapped_column(String(64))

    def to_principal(self) -> Principal:
        return replace(super().to_principal(), subject=self.owner)


@pytest.fixture(scope="session")
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield async_sessionmaker(engine, expire_on_commit=False)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
    await engine.dispose()


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(TokenSettings(secret=SecretStr("test-secret-" + "x" * 32)))


@pytest.fixture
def refresh_store(
    sessions: async_sessionmaker[AsyncSession], codec: TokenCodec
) -> RefreshTokenStore[RefreshToken]:
    return RefreshTokenStore(sessions, RefreshToken, codec)


@pytest.fixture
def key_scheme() -> ApiKeyScheme:
    return ApiKeyScheme("pk", SecretStr("pepper-" + uuid.uuid4().hex))


@pytest.fixture
def api_key_store(
    sessions: async_sessionmaker[AsyncSession], key_scheme: ApiKeyScheme
) -> ApiKeyStore[ApiKey]:
    return ApiKeyStore(sessions, ApiKey, key_scheme)
