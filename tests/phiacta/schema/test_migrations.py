"""The Alembic history on a real PostgreSQL: up from empty, down to base, up again; and what the
schema itself guarantees (seeded edge types, self-loop CHECK, one latest version per lineage,
the append-only audit log, the embedding width)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import DBAPIError, IntegrityError

from phiacta.migrations_runner import PhiactaMigrations
from phiacta.models import Base

TABLES = {
    "agents", "namespaces", "sources", "claims", "edge_types", "edges", "provenance", "reviews",
    "review_history", "bundles", "artifacts", "artifact_claims", "pending_references",
    "api_keys", "extensions", "ingest_jobs", "webhooks", "webhook_deliveries", "event_log",
    "audit_log",
}  # fmt: skip
VIEWS = {"claims_latest", "claims_with_confidence", "stale_edges"}


@pytest.fixture(scope="module")
def migrated(make_database: Callable[[str], str]) -> Iterator[tuple[PhiactaMigrations, sa.Engine]]:
    runner = PhiactaMigrations(make_database("phiacta"), embedding_dimensions=384)
    engine = sa.create_engine(runner.url)
    yield runner, engine
    engine.dispose()


def _names(engine: sa.Engine) -> tuple[set[str], set[str]]:
    inspector = sa.inspect(engine)
    return set(inspector.get_table_names()), set(inspector.get_view_names())


def test_upgrade_downgrade_upgrade(migrated: tuple[PhiactaMigrations, sa.Engine]) -> None:
    runner, engine = migrated
    runner.upgrade()
    tables, views = _names(engine)
    assert tables >= TABLES and views >= VIEWS
    assert runner.is_current()
    runner.downgrade("base")
    tables, views = _names(engine)
    assert tables <= {"alembic_version"} and not views
    runner.upgrade()
    assert _names(engine)[0] >= TABLES
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM edge_types")) == 15
        width = conn.scalar(
            sa.text(
                "SELECT atttypmod FROM pg_attribute "
                "WHERE attrelid = 'claims'::regclass AND attname = 'embedding'"
            )
        )
        assert width == 384
        index_kinds = dict(
            conn.execute(
                sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'claims'")
            ).all()
        )
    # The index is over half-precision copies of the vectors, at the column's width; on an
    # empty table it has one list (the keeper re-learns it as claims come).
    vector_index = index_kinds["ix_claims_embedding_ivf"]
    assert "ivfflat" in vector_index and "halfvec(384)" in vector_index
    assert "lists='1'" in vector_index
    assert "halfvec_cosine_ops" in vector_index
    assert "gin" in index_kinds["ix_claims_search_tsv"]
    assert "WHERE is_latest" in index_kinds["uq_claims_one_latest_per_lineage"]


@pytest.fixture(scope="module")
def graph(migrated: tuple[PhiactaMigrations, sa.Engine]) -> dict[str, uuid.UUID]:
    runner, engine = migrated
    runner.upgrade()
    with engine.begin() as conn:
        agent = conn.scalar(
            sa.text("INSERT INTO agents (agent_type, name) VALUES ('human', 'a') RETURNING id")
        )
        namespace = conn.scalar(
            sa.text("INSERT INTO namespaces (name, path) VALUES ('n', 'n') RETURNING id")
        )
        claim = conn.scalar(
            sa.text(
                "INSERT INTO claims (lineage_id, claim_type, content, namespace_id, created_by) "
                "VALUES (gen_random_uuid(), 'assertion', 'c', :n, :a) RETURNING id"
            ),
            {"n": namespace, "a": agent},
        )
    return {"agent": agent, "namespace": namespace, "claim": claim}


def test_the_database_rejects_self_loops(
    migrated: tuple[PhiactaMigrations, sa.Engine], graph: dict[str, uuid.UUID]
) -> None:
    with pytest.raises(IntegrityError, match="no_self_loop"), migrated[1].begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO edges (source_id, target_id, edge_type, created_by) "
                "VALUES (:c, :c, 'related_to', :a)"
            ),
            {"c": graph["claim"], "a": graph["agent"]},
        )


def test_one_latest_version_per_lineage(
    migrated: tuple[PhiactaMigrations, sa.Engine], graph: dict[str, uuid.UUID]
) -> None:
    with migrated[1].connect() as conn:
        lineage = conn.scalar(
            sa.text("SELECT lineage_id FROM claims WHERE id = :c"), {"c": graph["claim"]}
        )
    # A second row claiming to be the latest of the lineage (its predecessor never demoted).
    with pytest.raises(IntegrityError, match="uq_claims_one_latest"), migrated[1].begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO claims (lineage_id, version, supersedes, claim_type, content, "
                "namespace_id, created_by) VALUES (:l, 2, :c, 'assertion', 'c2', :n, :a)"
            ),
            {"l": lineage, "c": graph["claim"], "n": graph["namespace"], "a": graph["agent"]},
        )


def test_audit_log_is_append_only(migrated: tuple[PhiactaMigrations, sa.Engine]) -> None:
    engine = migrated[1]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (action, entity_type, prev_hash, hash) "
                "VALUES ('x', 'y', :p, :h)"
            ),
            {"p": "0" * 64, "h": uuid.uuid4().hex},
        )
    for statement in ("UPDATE audit_log SET action = 'z'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE audit_log"))


def test_the_models_match_the_migrated_schema(
    migrated: tuple[PhiactaMigrations, sa.Engine],
) -> None:
    runner, engine = migrated
    runner.upgrade()
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def _vector_claim(graph: dict[str, uuid.UUID]) -> tuple[sa.TextClause, dict[str, Any]]:
    """A statement inserting a claim with a vector (returning its id), and its parameters."""
    insert = sa.text(
        "INSERT INTO claims (lineage_id, claim_type, content, namespace_id, created_by, "
        "embedding) VALUES (gen_random_uuid(), 'assertion', 'v', :n, :a, CAST(:v AS vector)) "
        "RETURNING id"
    )
    vector = "[" + ",".join(["0.1"] * 384) + "]"
    return insert, {"n": graph["namespace"], "a": graph["agent"], "v": vector}


def test_the_deferred_vector_index_keeps_every_vector_across_0004(
    migrated: tuple[PhiactaMigrations, sa.Engine], graph: dict[str, uuid.UUID]
) -> None:
    runner, engine = migrated
    insert, params = _vector_claim(graph)

    def graph_definition(conn: sa.Connection) -> str:
        return conn.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_claims_embedding_hnsw'")
        )

    runner.downgrade("0003")
    with engine.begin() as conn:
        before = conn.scalar(insert, params)  # in the graph already, as every claim was
    runner.upgrade("0004")
    with engine.begin() as conn:
        assert conn.scalar(
            sa.text("SELECT vector_indexed FROM claims WHERE id = :c"), {"c": before}
        )
        assert graph_definition(conn).endswith("WHERE vector_indexed")
        fresh = conn.scalar(insert, params)  # new claims start outside the graph
        assert not conn.scalar(
            sa.text("SELECT vector_indexed FROM claims WHERE id = :c"), {"c": fresh}
        )
    runner.downgrade("0003")
    with engine.connect() as conn:
        # One graph of every vector again, built over all rows (the fresh claim's included).
        assert "WHERE" not in graph_definition(conn)
    runner.upgrade()


def test_the_ivfflat_index_takes_every_vector_across_0005(
    migrated: tuple[PhiactaMigrations, sa.Engine], graph: dict[str, uuid.UUID]
) -> None:
    runner, engine = migrated
    insert, params = _vector_claim(graph)
    by_index = sa.text(
        "SELECT id FROM claims ORDER BY embedding::halfvec(384) <=> CAST(:v AS halfvec(384)) "
        "LIMIT 100"
    )

    def vector_indexes(conn: sa.Connection) -> dict[str, str]:
        rows = conn.execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'claims' "
                "AND indexname IN ('ix_claims_embedding_hnsw', 'ix_claims_embedding_ivf', "
                "'ix_claims_fresh_vectors')"
            )
        )
        return dict(rows.all())

    runner.downgrade("0004")
    with engine.begin() as conn:
        fresh = conn.scalar(insert, params)  # outside the HNSW graph under 0004
    runner.upgrade()
    with engine.begin() as conn:
        indexes = vector_indexes(conn)
        assert list(indexes) == ["ix_claims_embedding_ivf"]
        assert "USING ivfflat" in indexes["ix_claims_embedding_ivf"]
        after = conn.scalar(insert, params)
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        assert {fresh, after} <= set(conn.scalars(by_index, params))  # both in the index
    runner.downgrade("0004")
    with engine.begin() as conn:
        assert set(vector_indexes(conn)) == {"ix_claims_embedding_hnsw", "ix_claims_fresh_vectors"}
        flags = conn.execute(
            sa.text("SELECT id, vector_indexed FROM claims WHERE id IN (:f, :a)"),
            {"f": fresh, "a": after},
        )
        assert dict(flags.all()) == {fresh: True, after: True}  # graphed again, every one
    runner.upgrade()
