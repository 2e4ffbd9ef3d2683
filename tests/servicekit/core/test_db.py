"""Database sessions and the per-service Alembic runner, against the real PostgreSQL."""

from __future__ import annotations

import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import Database, Migrations, copy_rows, naming_metadata, new_ids


class Base(DeclarativeBase):
    metadata = naming_metadata()


class Note(Base):
    __tablename__ = "note"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(100), unique=True)


async def test_session_commits_on_success_and_rolls_back_on_error(make_database) -> None:
    db = Database(make_database("dbsession"))
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with db.session() as session:
            session.add(Note(body="kept"))
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                session.add(Note(body="discarded"))
                await session.flush()
                raise RuntimeError("abort")
        async with db.session() as session:
            bodies = (await session.scalars(select(Note.body))).all()
        assert bodies == ["kept"]
        # Named constraints come from the naming convention (migrations can refer to them).
        async with db.engine.connect() as conn:
            names = set((await conn.execute(text("SELECT conname FROM pg_constraint"))).scalars())
        assert {"pk_note", "uq_note_body"} <= names
        with db.sync_session() as session:
            assert session.scalar(select(Note.body)) == "kept"
        assert await db.ping()
    finally:
        await db.dispose()


class Tagged(Base):
    __tablename__ = "tagged"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    tags: Mapped[dict[str, object]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(100), server_default="default note")


async def test_copy_rows_writes_in_the_transaction_like_an_insert(make_database) -> None:
    db = Database(make_database("dbcopy"))
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        rows = [{"id": i, "name": f"n{i}", "tags": {"i": i, "ok": True}} for i in range(3)]
        rows.append({"tags": {"i": 3, "ok": True}, "name": "n3", "id": 3})  # keys in any order
        async with db.session() as session:  # COPY first: the transaction still begins
            await copy_rows(session, Tagged.__table__, rows)
        with pytest.raises(RuntimeError):
            async with db.session() as session:
                await copy_rows(session, Tagged.__table__, [{"id": 9, "name": "gone", "tags": {}}])
                raise RuntimeError("abort")  # rolled back with the session
        with pytest.raises(IntegrityError, match="duplicate key"):
            async with db.session() as session:
                await copy_rows(session, Tagged.__table__, [{"id": 5, "name": "n1", "tags": {}}])
        async with db.session() as session:
            stored = (await session.execute(select(Tagged).order_by(Tagged.id))).scalars().all()
        # JSON went through the column type's serialiser; the server default applied.
        assert [(t.id, t.name, t.tags, t.note) for t in stored] == [
            (i, f"n{i}", {"i": i, "ok": True}, "default note") for i in range(4)
        ]
    finally:
        await db.dispose()


async def test_ping_is_false_when_the_server_is_unreachable() -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert not await db.ping()
    finally:
        await db.dispose()


@pytest.fixture
def migrations_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A throwaway service migrations package with two revisions."""
    name = f"svc_migrations_{uuid.uuid4().hex[:6]}"
    pkg = tmp_path / name
    (pkg / "versions").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "script.py.mako").write_text("")
    (pkg / "env.py").write_text(
        "from sqlalchemy import MetaData\n"
        "from servicekit.db import run_alembic_env\n"
        "run_alembic_env(MetaData())\n"
    )
    (pkg / "versions" / "0001_first.py").write_text(
        textwrap.dedent(
            """
            from alembic import op
            import sqlalchemy as sa
            revision = "0001"
            down_revision = None
            def upgrade():
                op.create_table("thing", sa.Column("id", sa.Integer, primary_key=True))
            def downgrade():
                op.drop_table("thing")
            """
        )
    )
    (pkg / "versions" / "0002_second.py").write_text(
        textwrap.dedent(
            """
            from alembic import op
            import sqlalchemy as sa
            revision = "0002"
            down_revision = "0001"
            def upgrade():
                op.add_column("thing", sa.Column("label", sa.Text))
            def downgrade():
                op.drop_column("thing", "label")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


async def test_migrations_upgrade_downgrade_and_report_currency(
    make_database, migrations_package: str
) -> None:
    url = make_database("migr")
    runner = Migrations(migrations_package, url)
    assert runner.head() == "0002"
    assert runner.current() is None and not runner.is_current()
    await runner.upgrade_async()
    assert runner.current() == "0002" and await runner.is_current_async()
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            columns = (
                (
                    await conn.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns"
                            " WHERE table_name = 'thing'"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert set(columns) == {"id", "label"}
        runner.downgrade("base")
        assert runner.current() is None
        runner.upgrade()
        assert runner.is_current()
    finally:
        await db.dispose()


async def test_development_apps_migrate_on_start(make_database, migrations_package: str) -> None:
    from servicekit.app import create_app
    from servicekit.testing.app import app_client

    url = make_database("autom")
    runner = Migrations(migrations_package, url)
    production = create_app(title="p", version="1", migrations=runner, migrate_on_start=False)
    async with app_client(production) as client:
        assert (await client.get("/health")).status_code == 200
    assert runner.current() is None

    development = create_app(title="d", version="1", migrations=runner, migrate_on_start=True)
    async with app_client(development):
        assert runner.is_current()


def test_new_ids_are_distinct_time_ordered_uuids() -> None:
    before = int(time.time() * 1000)
    ids = new_ids(5_000)
    after = int(time.time() * 1000)
    assert len(set(ids)) == 5_000
    assert ids == sorted(ids)  # each later than the one before: they append to a B-tree
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert all(before <= i.int >> 80 <= after for i in ids)  # the Unix time in ms leads
    assert new_ids(0) == []
