"""The vector indexer: a background task of every replica (``run_rounds``) that drains the fresh
vectors into the HNSW graph in small transactions, so that a bundle's commit does not pay for
the graph (unless too many claims wait already, ``VECTOR_FRESH_MAX``).

Fresh claims are searched exactly until they are moved (``phiacta.query.repository.semantic``,
``phiacta.bundles.repository.nearest_claims``): moving one changes how it is found, never
whether.
"""

from __future__ import annotations

import asyncio

from phiacta.vectors import repository
from servicekit.db import Database


class VectorIndexer:
    def __init__(self, db: Database, *, batch: int) -> None:
        self.db = db
        self.batch = batch

    async def index_batch(self) -> int:
        """Move one batch into the graph (its own transaction); how many claims it moved."""
        async with self.db.session() as session:
            return await repository.index_batch(session, self.batch)

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Move batches until none is left to this process, or ``stop`` is set (checked between
        batches, so that shutting down waits for one batch, not for the whole queue); how many
        claims were moved."""
        moved = 0
        while not (stop is not None and stop.is_set()) and (done := await self.index_batch()):
            moved += done
        return moved

    async def pending(self) -> int:
        """How many claims wait for the graph (searched exactly meanwhile)."""
        async with self.db.session() as session:
            return await repository.fresh_count(session)
