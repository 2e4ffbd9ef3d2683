"""The embedded PostgreSQL and Redis: start, reuse, persist, stop, and fail clearly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from servicekit.embedded import (
    EmbeddedError,
    EmbeddedPostgres,
    EmbeddedRedis,
    async_url,
    libpq_url,
    redis_url_for,
    sync_url,
)


def test_postgres_creates_service_databases_with_pgvector(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path)
    try:
        url = server.ensure_database("galileo")
        assert url.startswith("postgresql+asyncpg://") and "/galileo?" in url
        # Idempotent: asking again returns the same database, not an error.
        assert server.ensure_database("galileo") == url
        with psycopg.connect(libpq_url(server.url("galileo")), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("CREATE TABLE items (id int PRIMARY KEY, embedding vector(3))")
            conn.execute("INSERT INTO items VALUES (1, '[1,2,3]'), (2, '[9,9,9]')")
            nearest = conn.execute(
                "SELECT id FROM items ORDER BY embedding <-> '[1,2,3.1]' LIMIT 1"
            ).fetchone()
            assert nearest == (1,)
    finally:
        server.stop()


def test_postgres_data_survives_a_restart(tmp_path: Path) -> None:
    first = EmbeddedPostgres(tmp_path)
    first.ensure_database("keep")
    with psycopg.connect(libpq_url(first.url("keep")), autocommit=True) as conn:
        conn.execute("CREATE TABLE notes (body text)")
        conn.execute("INSERT INTO notes VALUES ('still here')")
    first.stop()

    second = EmbeddedPostgres(tmp_path)
    try:
        with psycopg.connect(libpq_url(second.url("keep")), autocommit=True) as conn:
            assert conn.execute("SELECT body FROM notes").fetchone() == ("still here",)
    finally:
        second.stop()


def test_postgres_is_shared_with_another_process(tmp_path: Path) -> None:
    """A second process (a worker, a CLI command) attaches to the running server."""
    server = EmbeddedPostgres(tmp_path)
    try:
        server.ensure_database("shared")
        code = (
            "import sys, psycopg; from servicekit.embedded import EmbeddedPostgres, libpq_url;"
            "from pathlib import Path;"
            f"s = EmbeddedPostgres(Path({str(tmp_path)!r}));"
            "c = psycopg.connect(libpq_url(s.url('shared')));"
            "print(c.execute('select current_database()').fetchone()[0]); c.close(); s.stop()"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert out.stdout.strip() == "shared"
        # The other process let go of its handle; ours still works.
        with psycopg.connect(libpq_url(server.url("shared"))) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()


def test_unusable_data_directory_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    with pytest.raises(EmbeddedError, match="SUITE_HOME") as info:
        EmbeddedPostgres(blocker / "home").start()
    assert "DATABASE_URL" in str(info.value)
    with pytest.raises(EmbeddedError, match="REDIS_URL"):
        EmbeddedRedis(blocker / "home").start()


def test_redis_persists_and_stops_cleanly(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    client = redis.Redis.from_url(server.url())
    client.set("greeting", "hello")
    client.close()
    server.stop()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(f"unix://{server.socket_path}").ping()

    again = EmbeddedRedis(tmp_path)
    again.start()
    try:
        assert redis.Redis.from_url(again.url()).get("greeting") == b"hello"
    finally:
        again.stop()


def test_url_dialects() -> None:
    assert async_url("postgresql://u:p@h:5432/db") == "postgresql+asyncpg://u:p@h:5432/db"
    assert sync_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert libpq_url("postgresql+asyncpg://u@/db?host=/s") == "postgresql://u@/db?host=/s"
    with pytest.raises(EmbeddedError, match="Leave DATABASE_URL unset"):
        async_url("sqlite:///./app.db")
    assert redis_url_for("unix:///r/redis.sock?db=2", "celery") == (
        "redis+socket:///r/redis.sock?virtual_host=2"
    )
    assert redis_url_for("unix:///r/redis.sock?db=2", "limits") == "redis+unix:///r/redis.sock?db=2"
    assert redis_url_for("redis://127.0.0.1:6379/0", "celery") == "redis://127.0.0.1:6379/0"
