"""deploy/backup: a pg_dump -Fc of a service database restores into a fresh database with its
data (pgvector included), and a Chroma tarball restores a working persistent Chroma."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import chromadb
import psycopg
import pytest
from alembic.config import CommandLine

from servicekit.db import Migrations
from servicekit.embedded import libpq_url

from .catalog import BY_NAME, DEPLOY

SCRIPTS = DEPLOY / "backup"
PHIACTA = BY_NAME["phiacta"]
CLAIM = "Water boils at 100 degrees Celsius at sea level."


def pg_bin() -> Path:
    """The client binaries of the server the tests run (pg_dump must match its major version)."""
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def run(script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS / script), *map(str, args)],
        env={**os.environ, "PG_BIN": str(pg_bin())},
        capture_output=True,
        text=True,
        timeout=120,
    )


def vector(dimensions: int, hot: int) -> str:
    return "[" + ",".join("1" if i == hot else "0" for i in range(dimensions)) + "]"


def seed_phiacta(url: str) -> tuple[uuid.UUID, int]:
    """A claim with an embedding, written as the service's schema requires it."""
    with psycopg.connect(libpq_url(url)) as db:
        width = db.execute(
            "SELECT atttypmod FROM pg_attribute WHERE attrelid = 'claims'::regclass "
            "AND attname = 'embedding'"
        ).fetchone()[0]
        agent = db.execute(
            "INSERT INTO agents (agent_type, name) VALUES ('human', 'Ada') RETURNING id"
        ).fetchone()[0]
        namespace = db.execute(
            "INSERT INTO namespaces (name, path) VALUES ('physics', 'physics') RETURNING id"
        ).fetchone()[0]
        claim = db.execute(
            "INSERT INTO claims (lineage_id, claim_type, content, namespace_id, created_by, "
            "embedding) VALUES (gen_random_uuid(), 'assertion', %s, %s, %s, %s::vector) "
            "RETURNING id",
            (CLAIM, namespace, agent, vector(width, 3)),
        ).fetchone()[0]
    return claim, width


@pytest.fixture
def phiacta_with_data(
    make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, uuid.UUID, int]:
    url = make_database("backup_source")
    monkeypatch.setenv("DATABASE_URL", url)
    CommandLine(prog="alembic").main(["-c", str(PHIACTA.alembic_ini), "upgrade", "head"])
    claim, width = seed_phiacta(url)
    return url, claim, width


def test_dump_restores_into_a_fresh_database(
    phiacta_with_data: tuple[str, uuid.UUID, int],
    make_database: Callable[[str], str],
    tmp_path: Path,
) -> None:
    source, claim, width = phiacta_with_data
    dump = tmp_path / "phiacta.dump"
    backup = run("pg-backup.sh", source, dump)
    assert backup.returncode == 0, backup.stderr
    assert dump.read_bytes().startswith(b"PGDMP"), "pg_dump's custom format"

    target = make_database("backup_target")
    restore = run("pg-restore.sh", dump, target)
    assert restore.returncode == 0, restore.stderr

    with psycopg.connect(libpq_url(target)) as db:
        found = db.execute(
            "SELECT c.id, c.content, a.name, n.path FROM claims c "
            "JOIN agents a ON a.id = c.created_by JOIN namespaces n ON n.id = c.namespace_id"
        ).fetchall()
        assert found == [(claim, CLAIM, "Ada", "physics")]
        # The vectors came back as vectors: the nearest neighbour of the claim's own is itself.
        nearest = db.execute(
            "SELECT id FROM claims ORDER BY embedding <=> %s::vector LIMIT 1", (vector(width, 3),)
        ).fetchone()
        assert nearest == (claim,)
    migrations = Migrations(f"{PHIACTA.package}.migrations", target)
    assert migrations.current() == migrations.head(), "the restored database is at head"


def test_default_dump_name_carries_the_database(
    phiacta_with_data: tuple[str, uuid.UUID, int], tmp_path: Path
) -> None:
    source, _claim, _width = phiacta_with_data
    result = subprocess.run(
        ["bash", str(SCRIPTS / "pg-backup.sh"), source],
        env={**os.environ, "PG_BIN": str(pg_bin())},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    (written,) = tmp_path.glob("backup_source_*.dump")
    assert result.stdout.strip() == written.name


def test_failures_are_reported(tmp_path: Path) -> None:
    missing = run("pg-restore.sh", tmp_path / "nope.dump", "postgresql://localhost/x")
    assert missing.returncode == 1 and "no dump file" in missing.stderr
    usage = run("pg-backup.sh")
    assert usage.returncode == 2 and "usage" in usage.stderr
    unreachable = run("pg-backup.sh", "postgresql://nobody@/none?host=/nonexistent", tmp_path / "x")
    assert unreachable.returncode != 0
    assert not list(tmp_path.glob("x*")), "no partial dump left behind"


def test_chroma_tarball_restores_a_working_store(tmp_path: Path) -> None:
    source = tmp_path / "chroma"
    client = chromadb.PersistentClient(path=str(source))
    collection = client.create_collection("kb_docs", metadata={"hnsw:space": "cosine"})
    collection.add(
        ids=["c1", "c2"],
        documents=["Refunds are processed within 5 days.", "Support is open on weekdays."],
        embeddings=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        metadatas=[{"document": "policy"}, {"document": "hours"}],
    )
    del collection, client  # the tarball is taken with Chroma stopped, as the script says

    archive = tmp_path / "chroma.tar.gz"
    backup = run("chroma-backup.sh", source, archive)
    assert backup.returncode == 0, backup.stderr

    target = tmp_path / "restored"
    restore = run("chroma-restore.sh", archive, target)
    assert restore.returncode == 0, restore.stderr
    restored = chromadb.PersistentClient(path=str(target)).get_collection("kb_docs")
    assert restored.count() == 2
    hit = restored.query(query_embeddings=[[0.9, 0.1, 0.0]], n_results=1)
    assert hit["ids"] == [["c1"]]
    assert hit["documents"] == [["Refunds are processed within 5 days."]]

    again = run("chroma-restore.sh", archive, target)
    assert again.returncode == 1 and "--force" in again.stderr
    forced = run("chroma-restore.sh", "--force", archive, target)
    assert forced.returncode == 0, forced.stderr


def test_chroma_restore_keeps_data_when_the_archive_is_damaged(tmp_path: Path) -> None:
    target = tmp_path / "data"
    target.mkdir()
    (target / "chroma.sqlite3").write_text("current")
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(b"not a tarball")
    result = run("chroma-restore.sh", "--force", damaged, target)
    assert result.returncode != 0
    assert (target / "chroma.sqlite3").read_text() == "current"
