"""The object graph of a running CuriousCore, shared by the web app and the CLI.

``open_curiouscore`` resolves the database (the embedded PostgreSQL when ``DATABASE_URL`` is
unset), migrates it outside production, makes sure the badge catalogue exists and builds the
services.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from curiouscore.accounts.service import AccountService
from curiouscore.challenges.authoring import AuthoringService
from curiouscore.challenges.service import ChallengeService
from curiouscore.config import Settings
from curiouscore.engine.machine import Rules
from curiouscore.models import RefreshToken
from curiouscore.play.game_master import GameMaster
from curiouscore.play.service import PlayService
from curiouscore.progress import repository as progress_repository
from curiouscore.progress.service import ProgressService
from servicekit.auth import Authenticator, PasswordHasher, RefreshTokenStore, TokenCodec
from servicekit.db import Database, Migrations, PoolSettings
from servicekit.embedded import database_url
from servicekit.llm import LLMClient
from servicekit.logging import get_logger
from servicekit.ratelimit import RateLimiter

log = get_logger("curiouscore")

MIGRATIONS_PACKAGE = "curiouscore.migrations"


@dataclass
class CuriousCore:
    settings: Settings
    db: Database
    migrations: Migrations
    authenticator: Authenticator
    accounts: AccountService
    challenges: ChallengeService
    play: PlayService
    progress: ProgressService
    authoring: AuthoringService
    auth_limit: Callable[..., Awaitable[None]]


def migrations(settings: Settings) -> Migrations:
    return Migrations(MIGRATIONS_PACKAGE, database_url("curiouscore", settings.database_url))


def rules_of(settings: Settings) -> Rules:
    return Rules(
        max_hints_per_step=settings.max_hints_per_step,
        hint_penalty_percent=settings.hint_penalty_percent,
        max_failed_evaluations=settings.max_failed_evaluations,
        max_answer_chars=settings.max_answer_chars,
    )


@asynccontextmanager
async def open_curiouscore(settings: Settings) -> AsyncIterator[CuriousCore]:
    url = await asyncio.to_thread(database_url, "curiouscore", settings.database_url)
    schema = Migrations(MIGRATIONS_PACKAGE, url)
    if not settings.is_production:  # the guide: production migrates as a separate step
        await schema.upgrade_async()
    db = Database(url, pool=PoolSettings(size=10, max_overflow=20))
    codec = TokenCodec(settings.token_settings())
    sessions = RefreshTokenStore(db.sessionmaker, RefreshToken, codec)
    llm = LLMClient(settings)
    limiter = RateLimiter.from_url(settings.redis_url, namespace="curiouscore")
    game_master = GameMaster(llm, settings, limiter)
    challenges = ChallengeService(db)
    core = CuriousCore(
        settings=settings,
        db=db,
        migrations=schema,
        authenticator=Authenticator(tokens=codec, sessions=sessions),
        accounts=AccountService(db, codec, sessions, PasswordHasher()),
        challenges=challenges,
        play=PlayService(
            db,
            challenges,
            game_master,
            rules_of(settings),
            snapshot_every=settings.snapshot_every,
        ),
        progress=ProgressService(db),
        authoring=AuthoringService(db, game_master),
        auth_limit=limiter.limit(*settings.auth_rate_limit.split(";"), group="auth"),
    )
    try:
        async with db.session() as session:
            await progress_repository.ensure_badges(session)
        await sessions.purge_expired()  # refresh tokens past their expiry: nothing to revoke
        log.info("curiouscore ready", llm_model=settings.default_model or "none")
        yield core
    finally:
        await llm.aclose()
        await limiter.aclose()
        await db.dispose()
