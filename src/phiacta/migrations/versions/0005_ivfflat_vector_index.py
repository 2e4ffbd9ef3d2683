"""IVFFlat vector index: claim vectors are indexed in the bundle's own transaction again

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:30:00

Every HNSW insert walks the graph: 0.9 ms a claim at 100 000 claims (m = 8, half precision),
more CPU than everything else a claim costs together, so bundle ingestion could not pass about
1,100 claims/s on two cores, whether the graph was fed inside the bundle's transaction or by
the deferred indexer of 0004 beside it. An IVFFlat insert compares the vector with the list
centroids and appends it to the nearest list: 25 us a claim at 100 000. The index is fed
inside the bundle's transaction once more, so the fresh-claim queue, its exact scans and the
indexer go.

IVFFlat learns its centroids from the rows present when it is built; ``phiacta.vectors``
rebuilds it as the number of vectors grows (concurrently: readers and writers carry on). This
migration sizes it for the rows present now (one list, an exact scan, on a small table).

``ix_edges_source_type`` goes too: the unique ``(source_id, target_id, edge_type,
created_by)`` serves the same lookups by its prefix (a claim has a handful of edges), and each
of a bundle's thousand-odd edges paid for both.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from phiacta.migrations.vector_width import embedding_width
from phiacta.vectors.sizing import target_lists

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

HNSW = "WITH (m = 8, ef_construction = 32)"


def upgrade() -> None:
    op.drop_index("ix_edges_source_type", table_name="edges")
    op.drop_index("ix_claims_embedding_hnsw", table_name="claims")
    op.drop_index("ix_claims_fresh_vectors", table_name="claims")
    op.drop_column("claims", "vector_indexed")
    vectors = op.get_bind().scalar(sa.text("SELECT count(embedding) FROM claims")) or 0
    # k-means over the sampled rows needs more than the default 64 MB on a large table.
    op.execute("SET LOCAL maintenance_work_mem = '512MB'")
    op.execute(
        "CREATE INDEX ix_claims_embedding_ivf ON claims USING ivfflat "
        f"((embedding::halfvec({embedding_width()})) halfvec_cosine_ops) "
        f"WITH (lists = {target_lists(vectors)})"
    )


def downgrade() -> None:
    op.create_index("ix_edges_source_type", "edges", ["source_id", "edge_type"])
    op.drop_index("ix_claims_embedding_ivf", table_name="claims")
    # Every vector present is graphed again (indexed), as 0004 left them.
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
    op.execute(
        "CREATE INDEX ix_claims_embedding_hnsw ON claims USING hnsw "
        f"((embedding::halfvec({embedding_width()})) halfvec_cosine_ops) {HNSW} "
        "WHERE vector_indexed"
    )
