"""The object graph of a running Oyl, shared by the web app and the CLI.

``open_oyl`` resolves the database and Redis (embedded ones when ``DATABASE_URL`` /
``REDIS_URL`` are unset), migrates outside production (production migrates as a separate
step), opens Chroma (a server, or embedded under the data directory), and builds the services.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import Celery
from fastapi import Request, Response
from redis.asyncio import Redis

from oyl.answers.service import AnswerService
from oyl.config import Settings
from oyl.hierarchy.service import HierarchyService
from oyl.identity.service import IdentityService
from oyl.ingestion.parsing import OcrEngine
from oyl.ingestion.pipeline import IngestResources
from oyl.ingestion.queue import oyl_celery
from oyl.ingestion.service import DocumentService
from oyl.models import ApiKey, RefreshToken
from oyl.retrieval.service import Retriever
from oyl.vectors import ChromaVectors
from servicekit.auth import (
    ApiKeyScheme,
    ApiKeyStore,
    Authenticator,
    PasswordHasher,
    Principal,
    RefreshTokenStore,
    TokenCodec,
    TokenSettings,
)
from servicekit.db import Database, Migrations, PoolSettings
from servicekit.embedded import database_url, redis_url
from servicekit.embeddings import Embedder, embedder_from_settings
from servicekit.llm import LLMClient
from servicekit.logging import get_logger
from servicekit.ratelimit import RateLimiter, client_ip, per_minute
from servicekit.storage import BlobStore

log = get_logger("oyl")

MIGRATIONS_PACKAGE = "oyl.migrations"
API_KEY_PREFIX = "oyl"


@dataclass
class Oyl:
    settings: Settings
    db: Database
    redis: Redis
    celery: Celery
    authenticator: Authenticator
    identity: IdentityService
    hierarchy: HierarchyService
    documents: DocumentService
    retriever: Retriever
    answers: AnswerService
    vectors: ChromaVectors
    embedder: Embedder
    llm: LLMClient
    limiter: RateLimiter
    _enforce: Any

    async def rate_limit(self, request: Request, response: Response, principal: Principal) -> None:
        """Spend one request of the tenant's budget (the client IP's before login)."""
        key = f"tenant:{principal.tenant_id}" if principal.tenant_id else client_ip(request)
        await self._enforce(request, response, who=key)

    def ingest_resources(self) -> IngestResources:
        """What an in-process ingestion needs (CLI, benchmark); the worker builds its own."""
        return IngestResources(
            db=self.db,
            blobs=self.documents.blobs,
            vectors=self.vectors,
            embedder=self.embedder,
            ocr=OcrEngine(),
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
        )

    async def readiness(self) -> dict[str, bool]:
        async def redis_ok() -> bool:
            try:
                return bool(await self.redis.ping())
            except Exception:
                return False

        database, cache, chroma = await asyncio.gather(
            self.db.ping(), redis_ok(), asyncio.to_thread(self.vectors.ping)
        )
        return {"database": database, "redis": cache, "chroma": chroma}


def migrations(settings: Settings) -> Migrations:
    return Migrations(MIGRATIONS_PACKAGE, database_url("oyl", settings.database_url))


def chroma_for(settings: Settings) -> ChromaVectors:
    return ChromaVectors(
        host=settings.chroma_host, port=settings.chroma_port, path=settings.storage_root / "chroma"
    )


@asynccontextmanager
async def open_oyl(settings: Settings) -> AsyncIterator[Oyl]:
    url = await asyncio.to_thread(database_url, "oyl", settings.database_url)
    broker = await asyncio.to_thread(redis_url, settings.redis_url)
    if not settings.is_production:
        await Migrations(MIGRATIONS_PACKAGE, url).upgrade_async()
    db = Database(url, pool=PoolSettings(size=10, max_overflow=20))
    redis = Redis.from_url(broker)
    celery = oyl_celery(broker)
    secret = settings.signing_key()
    codec = TokenCodec(
        TokenSettings(
            secret=secret,
            algorithm=settings.algorithm,
            access_ttl=timedelta(minutes=settings.access_token_expire_minutes),
            issuer="oyl",
        )
    )
    sessions = RefreshTokenStore(db.sessionmaker, RefreshToken, codec)
    api_keys = ApiKeyStore(db.sessionmaker, ApiKey, ApiKeyScheme(API_KEY_PREFIX, secret))
    authenticator = Authenticator(tokens=codec, sessions=sessions, api_keys=api_keys)
    root = settings.storage_root
    vectors = chroma_for(settings)
    embedder = embedder_from_settings(settings)
    llm = LLMClient(settings)
    limiter = RateLimiter.from_url(broker, namespace="oyl")
    documents = DocumentService(
        db,
        blobs=BlobStore(root / "files"),
        vectors=vectors,
        celery=celery,
        max_upload_bytes=settings.max_upload_bytes,
    )
    retriever = Retriever(
        db,
        vectors,
        embedder,
        default_top_k=settings.max_retrieved_chunks,
        default_min_score=settings.retrieval_min_score,
    )
    oyl = Oyl(
        settings=settings,
        db=db,
        redis=redis,
        celery=celery,
        authenticator=authenticator,
        identity=IdentityService(
            db,
            settings,
            hasher=PasswordHasher(),
            codec=codec,
            sessions=sessions,
            api_keys=api_keys,
            on_tenant_deleted=documents.drop_tenant,
        ),
        hierarchy=HierarchyService(
            db,
            embedding_model=embedder.model_name,
            embedding_dimension=embedder.dimension,
            on_documents_removed=documents.purge,
        ),
        documents=documents,
        retriever=retriever,
        answers=AnswerService(db, settings, retriever, llm),
        vectors=vectors,
        embedder=embedder,
        llm=llm,
        limiter=limiter,
        _enforce=limiter.limit(
            *per_minute(settings.rate_limit_requests_per_minute, burst=settings.rate_limit_burst),
            group="api",
        ),
    )
    try:
        if settings.platform_admin_email and settings.platform_admin_password:
            await oyl.identity.ensure_platform_admin(
                settings.platform_admin_email, settings.platform_admin_password.get_secret_value()
            )
        log.info("oyl ready", chroma="server" if settings.chroma_host else "embedded")
        yield oyl
    finally:
        await llm.aclose()
        await embedder.aclose()
        await limiter.aclose()
        await redis.aclose()
        await db.dispose()
