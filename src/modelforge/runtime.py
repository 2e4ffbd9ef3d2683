"""The object graph of a running ModelForge, shared by the web app and the CLI.

``open_modelforge`` resolves the database and Redis (embedded ones when ``DATABASE_URL`` /
``REDIS_URL`` are unset), migrates outside production (the guide: production migrates as a
separate step), and builds the services and the authenticator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis

from modelforge.config import Settings
from modelforge.identity.service import IdentityService
from modelforge.models import ApiToken, RefreshToken
from modelforge.registry.service import RegistryService
from servicekit.auth import (
    ApiKeyScheme,
    ApiKeyStore,
    Authenticator,
    PasswordHasher,
    RefreshTokenStore,
    TokenCodec,
    TokenSettings,
)
from servicekit.db import Database, Migrations, PoolSettings
from servicekit.embedded import database_url, redis_url
from servicekit.logging import get_logger

log = get_logger("modelforge")

MIGRATIONS_PACKAGE = "modelforge.migrations"
API_TOKEN_PREFIX = "mf"  # noqa: S105 (the public prefix of API tokens, not a secret)


@dataclass
class ModelForge:
    settings: Settings
    db: Database
    redis: Redis
    authenticator: Authenticator
    identity: IdentityService
    registry: RegistryService


def migrations(settings: Settings) -> Migrations:
    return Migrations(MIGRATIONS_PACKAGE, database_url("modelforge", settings.database_url))


def build_services(settings: Settings, db: Database, redis: Redis) -> ModelForge:
    secret = settings.signing_key()
    codec = TokenCodec(TokenSettings(secret=secret, issuer="modelforge"))
    sessions = RefreshTokenStore(db.sessionmaker, RefreshToken, codec)
    api_tokens = ApiKeyStore(db.sessionmaker, ApiToken, ApiKeyScheme(API_TOKEN_PREFIX, secret))
    identity = IdentityService(
        db,
        settings,
        hasher=PasswordHasher(),
        codec=codec,
        sessions=sessions,
        api_tokens=api_tokens,
    )
    return ModelForge(
        settings=settings,
        db=db,
        redis=redis,
        authenticator=Authenticator(tokens=codec, sessions=sessions, api_keys=api_tokens),
        identity=identity,
        registry=RegistryService(db, settings),
    )


@asynccontextmanager
async def open_modelforge(settings: Settings) -> AsyncIterator[ModelForge]:
    url = await asyncio.to_thread(database_url, "modelforge", settings.database_url)
    if not settings.is_production:
        await Migrations(MIGRATIONS_PACKAGE, url).upgrade_async()
    cache_url = await asyncio.to_thread(redis_url, settings.redis_url)
    db = Database(url, pool=PoolSettings(size=10, max_overflow=20))
    # Short timeouts: a Redis outage must degrade the cache, never hang requests.
    redis = Redis.from_url(cache_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        forge = build_services(settings, db, redis)
        log.info("modelforge ready", storage=str(settings.storage_path))
        yield forge
    finally:
        await redis.aclose()
        await db.dispose()
