"""The object graph of a running Phiacta, shared by the web app and the CLI.

``open_phiacta`` resolves the database (the embedded PostgreSQL when ``DATABASE_URL`` is unset),
migrates it in development only, builds the embedder and checks that its width matches the
``claims.embedding`` column (a mismatch stops start-up), and wires API-key authentication.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from starlette.requests import HTTPConnection

from phiacta.budgets import RATE_TIERS, budget_limits, tier_limits
from phiacta.bundles.service import BundleService
from phiacta.claims.service import ClaimService
from phiacta.confidence.service import ConfidenceService
from phiacta.config import Settings
from phiacta.evidence.service import EvidenceService
from phiacta.extensions.monitor import HealthMonitor
from phiacta.migrations_runner import PhiactaMigrations
from phiacta.models import ApiKey, event_log, send_vectors_binary
from phiacta.pepper import api_key_pepper
from phiacta.query.service import QueryService
from phiacta.query.views import ViewService
from phiacta.subscribe.connections import ConnectionLimiter
from phiacta.vectors.service import VectorIndex
from phiacta.webhooks.dispatcher import WebhookDispatcher
from servicekit.auth import ApiKeyScheme, ApiKeyStore, Authenticator
from servicekit.db import Database, PoolSettings
from servicekit.embedded import database_url
from servicekit.embeddings import Embedder, create_embedder
from servicekit.events import EventHub, EventLog
from servicekit.logging import get_logger
from servicekit.ratelimit import RateLimiter

log = get_logger("phiacta")


class EmbeddingDimensionMismatch(RuntimeError):
    """The embedder's vectors do not fit the ``claims.embedding`` column."""


@dataclass
class Phiacta:
    settings: Settings
    db: Database
    migrations: PhiactaMigrations
    embedder: Embedder
    api_keys: ApiKeyStore[ApiKey]
    authenticator: Authenticator
    events: EventLog
    claims: ClaimService
    bundles: BundleService
    evidence: EvidenceService
    confidence: ConfidenceService
    query: QueryService
    views: ViewService
    webhooks: WebhookDispatcher
    health: HealthMonitor
    """Health checks of registered extensions; the web app runs its loop."""
    vectors: VectorIndex
    """Sizes vector searches to the index and re-learns its lists; the web app runs its loop."""
    hub: EventHub
    """Live fan-out for WebSocket subscribers; the web app starts and stops it."""
    connections: ConnectionLimiter
    limiter: RateLimiter
    rate_limits: dict[tuple[str, str], Callable[..., Awaitable[None]] | None]
    """The kit's rate-limit guard of each (rate tier, budget), per API key; None: no limit."""


def rate_guards(
    limiter: RateLimiter, settings: Settings
) -> dict[tuple[str, str], Callable[..., Awaitable[None]] | None]:
    guards: dict[tuple[str, str], Callable[..., Awaitable[None]] | None] = {}
    for budget, windows in budget_limits(settings).items():
        for tier in RATE_TIERS:
            scaled = tier_limits(windows, tier, budget)
            # The key is in the counter's identity, so tiers need no group of their own.
            guards[tier, budget] = None if scaled is None else limiter.limit(*scaled, group=budget)
    return guards


def key_prefix(settings: Settings) -> str:
    """``phlive_...`` keys in production, ``phtest_...`` elsewhere (spec §8.2's live/test)."""
    return "phlive" if settings.is_production else "phtest"


def build_embedder(settings: Settings) -> Embedder:
    if settings.uses_openai:
        return create_embedder(
            "openai",
            model=settings.embedding_model,
            dimensions=settings.embedding_dimensions,
            api_key=settings.openai_api_key,
        )
    return create_embedder("local")


async def embedding_column_width(db: Database) -> int | None:
    """The declared width of ``claims.embedding``; None before the schema exists."""
    async with db.engine.connect() as conn:
        return await conn.scalar(
            text(
                "SELECT a.atttypmod FROM pg_attribute a "
                "WHERE a.attrelid = to_regclass('claims') AND a.attname = 'embedding'"
            )
        )


async def check_embedding_width(db: Database, embedder: Embedder) -> None:
    width = await embedding_column_width(db)
    if width is not None and width > 0 and width != embedder.dimension:
        raise EmbeddingDimensionMismatch(
            f"The embedder {embedder.model_name!r} makes {embedder.dimension}-dimensional "
            f"vectors but claims.embedding is vector({width}). Configure an embedder of "
            f"{width} dimensions (EMBEDDING_MODEL / EMBEDDING_DIMENSIONS, or unset "
            "OPENAI_API_KEY for the local 384-d encoder), or migrate the column and re-embed."
        )


@asynccontextmanager
async def open_phiacta(
    settings: Settings, *, migrate: bool | None = None
) -> AsyncIterator[Phiacta]:
    """``migrate``: None follows the environment (development only, as the guide says)."""
    url = await asyncio.to_thread(database_url, "phiacta", settings.database_url)
    migrations = PhiactaMigrations(
        url, embedding_dimensions=settings.effective_embedding_dimensions
    )
    if settings.auto_migrate if migrate is None else migrate:
        await migrations.upgrade_async()
    db = Database(
        url,
        pool=PoolSettings(
            size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            timeout=settings.database_pool_timeout,
        ),
        echo=settings.log_sql,
    )
    send_vectors_binary(db.engine)
    embedder = build_embedder(settings)
    limiter = RateLimiter.from_url(settings.redis_url, namespace="phiacta")
    webhooks = WebhookDispatcher(db, settings.outbound_policy)
    health = HealthMonitor(db, settings.outbound_policy)
    try:
        await check_embedding_width(db, embedder)
        scheme = ApiKeyScheme(key_prefix(settings), api_key_pepper(settings))
        api_keys = ApiKeyStore(db.sessionmaker, ApiKey, scheme)
        events = EventLog(db, event_log)
        claims = ClaimService(db, embedder, events)
        vectors = VectorIndex(db)
        query = QueryService(db, embedder, claims, vectors, max_depth=settings.max_traversal_depth)
        evidence = EvidenceService(db, claims, events)
        phiacta = Phiacta(
            settings=settings,
            db=db,
            migrations=migrations,
            embedder=embedder,
            api_keys=api_keys,
            authenticator=Authenticator(api_keys=api_keys, superuser_scope="admin"),
            events=events,
            claims=claims,
            bundles=BundleService(db, embedder, events, max_claims=settings.max_bundle_claims),
            evidence=evidence,
            confidence=ConfidenceService(db),
            query=query,
            views=ViewService(db, claims, query, evidence),
            webhooks=webhooks,
            health=health,
            vectors=vectors,
            hub=EventHub(events),
            connections=ConnectionLimiter(settings.ws_max_connections_per_key),
            limiter=limiter,
            rate_limits=rate_guards(limiter, settings),
        )
        log.info("phiacta ready", embedder=embedder.model_name, dimensions=embedder.dimension)
        yield phiacta
    finally:
        await webhooks.aclose()
        await health.aclose()
        await limiter.aclose()
        await embedder.aclose()
        await db.dispose()


def phiacta_of(connection: HTTPConnection) -> Phiacta:
    """The running Phiacta of a request (a FastAPI dependency)."""
    phiacta: Phiacta = connection.app.state.phiacta
    return phiacta
