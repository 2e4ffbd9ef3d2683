"""PostgreSQL access for every service: async engine and sessions, naming conventions, migrations.

Each service owns one database and one Alembic history (``<service>/migrations``). Web code uses
the async engine (asyncpg); migrations and Celery workers, which are synchronous, use psycopg.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, Table, create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker
from uuid_utils.compat import uuid7

from servicekit.embedded import async_url, sync_url

# Deterministic constraint names, so that migrations can refer to (and drop) them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Serialises concurrent `upgrade head` runs from several replicas starting at once.
_MIGRATION_LOCK_ID = 0x5E51_7E00


def naming_metadata() -> MetaData:
    """A MetaData with the suite's naming conventions; give one to each service's Base."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def new_ids(count: int) -> list[uuid.UUID]:
    """``count`` new time-ordered UUIDs (version 7, RFC 9562), in increasing order: for bulk
    rows. Random (version 4) keys put each row's index entries on a random page of every
    B-tree over them, so a 500-claim bundle wrote some 2,500 pages, each as a full-page image
    in the WAL after a checkpoint (21 MB a bundle); time-ordered keys land together on the
    rightmost pages. They tell when a row was made, which ``created_at`` shows anyway."""
    return [uuid7() for _ in range(count)]


async def copy_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, in any order) into ``table`` with
    PostgreSQL's binary COPY, inside the session's transaction.

    For bulk writes: COPY sends the rows as one stream that the server neither parses nor plans
    as a statement, where a multi-row INSERT of 500 rows is a statement of thousands of
    parameters (measured on a 500-claim bundle: the ORM bulk INSERT of claims, provenance and
    edges took 170 ms, COPY 60 ms). Defaults, generated columns, constraints and triggers
    apply as for INSERT. Values go through each column type's bind processing (JSON is
    serialised, custom types are converted) as they would for an INSERT; a constraint failure
    raises SQLAlchemy's ``IntegrityError``, like one.
    """
    if not rows:
        return
    names = list(rows[0])
    connection = await session.connection()
    processors = [table.c[name].type.bind_processor(connection.dialect) for name in names]
    records = [
        tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(processors, [row[name] for name in names], strict=True)
        )
        for row in rows
    ]
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
    if not driver.is_in_transaction():  # the session begins its transaction lazily
        await connection.execute(text("SELECT 1"))
    try:
        await driver.copy_records_to_table(
            table.name, schema_name=table.schema, records=records, columns=names
        )
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc
    except asyncpg.PostgresError as exc:
        raise DBAPIError(f"COPY {table.name}", None, exc) from exc


@dataclass(frozen=True)
class PoolSettings:
    size: int = 5
    max_overflow: int = 10
    timeout: float = 30.0
    recycle: int = 1800


class Database:
    """One service's database: an async engine for requests and a lazy sync engine for workers."""

    def __init__(self, url: str, *, pool: PoolSettings | None = None, echo: bool = False) -> None:
        self.url = async_url(url)
        self.pool = pool or PoolSettings()
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=self.pool.size,
            max_overflow=self.pool.max_overflow,
            pool_timeout=self.pool.timeout,
            pool_recycle=self.pool.recycle,
            pool_pre_ping=True,
            echo=echo,
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    @cached_property
    def sync_engine(self) -> Engine:
        return create_engine(
            sync_url(self.url),
            pool_size=2,
            max_overflow=3,
            pool_pre_ping=True,
        )

    @contextmanager
    def sync_session(self) -> Iterator[Session]:
        """A synchronous session for Celery tasks and CLI commands."""
        with sessionmaker(self.sync_engine, expire_on_commit=False)() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if "sync_engine" in self.__dict__:
            self.sync_engine.dispose()


class Migrations:
    """Alembic for one service: its script directory inside the package, its own database."""

    def __init__(self, package: str, url: str) -> None:
        """``package``: the dotted name of the service's migrations package (with ``env.py``)."""
        self.package = package
        self.url = sync_url(url)

    @property
    def script_location(self) -> str:
        return str(Path(str(resources.files(self.package))))

    def config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", self.script_location)
        # `%` is ConfigParser's interpolation character; URLs may contain it (encoded passwords).
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        cfg.attributes["servicekit_url"] = self.url
        return cfg

    def upgrade(self, revision: str = "head") -> None:
        command.upgrade(self.config(), revision)

    def downgrade(self, revision: str) -> None:
        command.downgrade(self.config(), revision)

    def head(self) -> str | None:
        return ScriptDirectory.from_config(self.config()).get_current_head()

    def current(self) -> str | None:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return MigrationContext.configure(conn).get_current_revision()
        finally:
            engine.dispose()

    def is_current(self) -> bool:
        return self.current() == self.head()

    async def upgrade_async(self, revision: str = "head") -> None:
        """Run :meth:`upgrade` off the event loop (Alembic is synchronous)."""
        await asyncio.to_thread(self.upgrade, revision)

    async def is_current_async(self) -> bool:
        return await asyncio.to_thread(self.is_current)


def run_alembic_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``.

    Runs online against the URL the :class:`Migrations` runner put in the config (or
    ``sqlalchemy.url`` when Alembic's own CLI is used), holding a PostgreSQL advisory lock so that
    replicas starting together migrate one at a time.
    """
    from alembic import context

    cfg = context.config
    url = cfg.attributes.get("servicekit_url") or cfg.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("No database URL for migrations: set DATABASE_URL or sqlalchemy.url")

    if context.is_offline_mode():
        context.configure(url=sync_url(url), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
            conn.commit()
            try:
                context.configure(
                    connection=conn,
                    target_metadata=target_metadata,
                    compare_type=True,
                    transaction_per_migration=True,
                )
                with context.begin_transaction():
                    context.run_migrations()
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK_ID})
                conn.commit()
    finally:
        engine.dispose()
