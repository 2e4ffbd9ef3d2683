"""deferred vector index: fresh vectors wait outside the HNSW graph until the indexer moves them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:20:00

The HNSW insert of every claim vector was most of a bundle's commit (0.95-1.2 s of 1.4 s for
500 claims at 100 000). The graph becomes a partial index over ``vector_indexed`` claims: a
claim is inserted with the flag false, so its transaction never walks the graph, and the
partial B-tree ``ix_claims_fresh_vectors`` lists the claims still waiting (the queue, kept by
PostgreSQL itself: every insert path lands there without code of its own). Searches and the
near-duplicate probe read the graph for indexed claims and scan the fresh ones exactly, so a
claim is found the moment its bundle commits. The background indexer (``phiacta.vectors``)
sets the flag in batches, which inserts the claims into the graph.

Existing claims are already in the old graph: they keep ``vector_indexed`` true (the column is
added with that default, then the default becomes false for new rows).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from phiacta.migrations.vector_width import embedding_width

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GRAPH = "WITH (m = 8, ef_construction = 32)"


def _graph(where: str) -> None:
    op.drop_index("ix_claims_embedding_hnsw", table_name="claims")
    op.execute(
        "CREATE INDEX ix_claims_embedding_hnsw ON claims USING hnsw "
        f"((embedding::halfvec({embedding_width()})) halfvec_cosine_ops) {GRAPH}{where}"
    )


def upgrade() -> None:
    op.add_column(
        "claims",
        sa.Column("vector_indexed", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.alter_column("claims", "vector_indexed", server_default=sa.false())
    op.create_index(
        "ix_claims_fresh_vectors",
        "claims",
        ["id"],
        postgresql_where=sa.text("embedding IS NOT NULL AND NOT vector_indexed"),
    )
    _graph(" WHERE vector_indexed")


def downgrade() -> None:
    _graph("")  # every vector, the fresh ones included, back in one graph
    op.drop_index("ix_claims_fresh_vectors", table_name="claims")
    op.drop_column("claims", "vector_indexed")
