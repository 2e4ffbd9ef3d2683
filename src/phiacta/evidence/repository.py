"""The evidence chain query: incoming evidential edges, walked backwards up to a depth."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Walks from the claim to its evidence, then to the evidence's evidence; a node already on the
# path is never entered again, so cycles end the walk. Each edge is kept at its shallowest depth.
_CHAIN = text(
    """
    WITH RECURSIVE chain (edge_id, source_id, depth, path) AS (
        SELECT e.id, e.source_id, 1, ARRAY[e.target_id, e.source_id]
        FROM edges e
        WHERE e.target_id = :claim_id AND e.edge_type = ANY(:types)
          AND coalesce(e.strength, 1) >= :min_strength
      UNION ALL
        SELECT e.id, e.source_id, c.depth + 1, c.path || e.source_id
        FROM edges e JOIN chain c ON e.target_id = c.source_id
        WHERE c.depth < :max_depth AND e.edge_type = ANY(:types)
          AND coalesce(e.strength, 1) >= :min_strength AND NOT e.source_id = ANY(c.path)
    )
    SELECT DISTINCT ON (chain.edge_id) chain.edge_id, chain.depth
    FROM chain JOIN claims s ON s.id = chain.source_id
    WHERE :include_retracted OR s.status <> 'retracted'
    ORDER BY chain.edge_id, chain.depth
    """
)


@dataclass(frozen=True)
class ChainLink:
    edge_id: uuid.UUID
    depth: int


async def chain(
    session: AsyncSession,
    claim_id: uuid.UUID,
    *,
    edge_types: list[str],
    min_strength: float,
    max_depth: int,
    include_retracted: bool,
) -> list[ChainLink]:
    rows = await session.execute(
        _CHAIN,
        {
            "claim_id": claim_id,
            "types": edge_types,
            "min_strength": min_strength,
            "max_depth": max_depth,
            "include_retracted": include_retracted,
        },
    )
    return [ChainLink(edge_id, depth) for edge_id, depth in rows]
