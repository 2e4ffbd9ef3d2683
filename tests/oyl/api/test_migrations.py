"""The Alembic history builds the schema from an empty database and takes it down again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from oyl.models import Base
from servicekit.db import Migrations
from servicekit.embedded import sync_url


def _drift(url: str) -> list[object]:
    """What autogenerate would change: the models and the migrations must agree."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


async def test_upgrade_downgrade_upgrade(make_database: Callable[[str], str]) -> None:
    url = make_database("oyl_migrations")
    migrations = Migrations("oyl.migrations", url)
    await asyncio.to_thread(migrations.upgrade)
    assert await asyncio.to_thread(_tables, url) == set(Base.metadata.tables)
    assert await asyncio.to_thread(migrations.is_current)
    assert await asyncio.to_thread(_drift, url) == []
    await asyncio.to_thread(migrations.downgrade, "base")
    assert await asyncio.to_thread(_tables, url) == set()
    await asyncio.to_thread(migrations.upgrade)
    assert await asyncio.to_thread(_tables, url) == set(Base.metadata.tables)
