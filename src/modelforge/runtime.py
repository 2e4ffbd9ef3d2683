"""The object graph of a running ModelForge, shared by the web app and the CLI.

``open_modelforge`` resolves the database and Redis (embedded ones when ``DATABASE_URL`` /
``REDIS_URL`` are unset), migrates outside production (the guide: production migrates as a
separate step), and builds the services and the authenticator, plus one inference stack per
process: the ONNX session pool, the Redis link shared by the prediction and model-metadata caches,
and the predictor; the registry's change hooks evict sessions and drop cache entries. The hot
path avoids PostgreSQL where it safely can: credentials and resolved models are cached per
process for 2 s (the kit ``Authenticator``'s cache, ``registry.model_cache``) and history rows are
batched by a background ``HistoryWriter``, flushed on close.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis

from modelforge.config import Settings
from modelforge.identity.service import IdentityService
from modelforge.inference.cache import ModelMetadataCache, PredictionCache, RedisLink
from modelforge.inference.predictor import Predictor
from modelforge.inference.sessions import SessionPool
from modelforge.models import ApiToken, RefreshToken
from modelforge.predictions.history_writer import HistoryWriter
from modelforge.predictions.service import PredictionService
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
    cache_link: RedisLink
    sessions: SessionPool
    prediction_cache: PredictionCache
    metadata_cache: ModelMetadataCache
    predictor: Predictor
    predictions: PredictionService
    history_writer: HistoryWriter

    async def close(self) -> None:
        """Release what ``build_services`` opened (the caller owns ``db`` and ``redis``)."""
        # Before the database goes: queued history rows are an audit trail.
        await self.history_writer.close()
        await self.cache_link.close()
        # Waits for running inferences (off the loop); none start once the app stopped serving.
        await asyncio.to_thread(self.sessions.close)


def migrations(settings: Settings) -> Migrations:
    return Migrations(MIGRATIONS_PACKAGE, database_url("modelforge", settings.database_url))


def _wire_invalidation(
    registry: RegistryService,
    sessions: SessionPool,
    predictions: PredictionCache,
    metadata: ModelMetadataCache,
) -> None:
    """A model that changed must never be served from a stale session, entry or metadata."""

    async def removed(model_id: uuid.UUID) -> None:
        sessions.evict(str(model_id))
        await predictions.invalidate(str(model_id))

    async def changed(model_id: uuid.UUID) -> None:
        await metadata.invalidate(str(model_id))

    registry.on_model_removed(removed)
    registry.on_model_changed(changed)


def build_services(settings: Settings, db: Database, redis: Redis, cache_url: str) -> ModelForge:
    secret = settings.signing_key()
    codec = TokenCodec(TokenSettings(secret=secret, issuer="modelforge"))
    sessions = RefreshTokenStore(db.sessionmaker, RefreshToken, codec)
    api_tokens = ApiKeyStore(db.sessionmaker, ApiToken, ApiKeyScheme(API_TOKEN_PREFIX, secret))
    authenticator = Authenticator(
        tokens=codec,
        sessions=sessions,
        api_keys=api_tokens,
        cache_ttl_seconds=settings.hot_cache_ttl,
    )
    identity = IdentityService(
        db,
        settings,
        hasher=PasswordHasher(),
        codec=codec,
        sessions=sessions,
        api_tokens=api_tokens,
        credential_cache=authenticator,
    )
    registry = RegistryService(db, settings)
    link = RedisLink(cache_url)
    pool = SessionPool(
        max_sessions=settings.max_loaded_models,
        workers=settings.inference_workers,
        intra_op_threads=settings.ort_intra_op_threads,
    )
    prediction_cache = PredictionCache(
        link,
        ttl_seconds=settings.cache_prediction_ttl,
        enabled=settings.cache_prediction_enabled,
        prefix=settings.cache_key_prefix,
    )
    metadata_cache = ModelMetadataCache(
        link, ttl_seconds=settings.cache_model_ttl, prefix=settings.cache_key_prefix
    )
    predictor = Predictor(pool, prediction_cache, max_elements=settings.max_input_elements)
    _wire_invalidation(registry, pool, prediction_cache, metadata_cache)
    history_writer = HistoryWriter(db, interval_seconds=settings.history_flush_interval_ms / 1000)
    return ModelForge(
        settings=settings,
        db=db,
        redis=redis,
        authenticator=authenticator,
        identity=identity,
        registry=registry,
        cache_link=link,
        sessions=pool,
        prediction_cache=prediction_cache,
        metadata_cache=metadata_cache,
        predictor=predictor,
        predictions=PredictionService(db, registry, predictor, history_writer),
        history_writer=history_writer,
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
        forge = build_services(settings, db, redis, cache_url)
        try:
            log.info("modelforge ready", storage=str(settings.storage_path))
            yield forge
        finally:
            await forge.close()
    finally:
        await redis.aclose()
        await db.dispose()
