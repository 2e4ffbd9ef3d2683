"""What later migrations read of the schema the first one made: the width of claims.embedding
(chosen from the configured embedder when 0001 ran)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def embedding_width() -> int:
    """The declared width of claims.embedding, for the ``halfvec(width)`` of its index."""
    return op.get_bind().scalar(
        sa.text(
            "SELECT atttypmod FROM pg_attribute "
            "WHERE attrelid = 'claims'::regclass AND attname = 'embedding'"
        )
    )
