"""lighter write indexes: a cheaper HNSW graph, no indexes another one already covers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:20:00

Bundle ingestion was bound by index upkeep, above all the HNSW insert of every claim vector.
An HNSW graph of m=8 / ef_construction=32 takes half the time of m=16 / 64 per insert
(measured: 819 against 395 inserts/s into 20 000 clustered 384-d vectors); the recall it gives
up is bought back at query time with a wider search beam (``hnsw.ef_search`` 64: recall@10
0.98 against 1.00, see ``phiacta.query.repository``), which costs a search far less than the
graph cost writes. Fresh claims are in the index as soon as they commit, so no search misses
them.

The dropped B-trees are prefixes of other indexes: ``(lineage_id, version)`` is unique already;
``edges(source_id, edge_type)`` and ``(target_id, edge_type)`` serve lookups by one end;
``provenance(claim_id, source_id, extracted_by)`` is unique already. ``edges(edge_type)`` and the
partial index of active claims are too unselective for the planner to choose.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (index, table, columns, extra create_index keyword arguments) of the dropped indexes.
COVERED = [
    ("ix_claims_lineage_version", "claims", ["lineage_id", sa.literal_column("version DESC")], {}),
    (
        "ix_claims_active_status",
        "claims",
        ["status"],
        {"postgresql_where": sa.text("status = 'active'")},
    ),
    ("ix_edges_source_id", "edges", ["source_id"], {}),
    ("ix_edges_target_id", "edges", ["target_id"], {}),
    ("ix_edges_edge_type", "edges", ["edge_type"], {}),
    ("ix_provenance_claim_id", "provenance", ["claim_id"], {}),
]


def _embedding_index(m: int, ef_construction: int) -> None:
    op.drop_index("ix_claims_embedding_hnsw", table_name="claims")
    op.create_index(
        "ix_claims_embedding_hnsw",
        "claims",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_with={"m": m, "ef_construction": ef_construction},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )


def upgrade() -> None:
    for name, table, _, _ in COVERED:
        op.drop_index(name, table_name=table)
    _embedding_index(8, 32)


def downgrade() -> None:
    _embedding_index(16, 64)
    for name, table, columns, extra in COVERED:
        op.create_index(name, table, columns, **extra)
