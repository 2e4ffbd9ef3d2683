"""The vector index keeper: sizes searches to the index, and re-learns its lists in the
background (``run_rounds`` in every replica; one rebuilds at a time) when the number of
vectors has moved far from what they were learned on.

A rebuild never hides a claim and never makes a bundle or a search wait: until the swap,
searches and inserts use the old index, whose lists hold every vector (new ones go to their
nearest old centroid), and the new one, built concurrently, receives every insert made while
it is built.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from phiacta.vectors import repository
from phiacta.vectors.sizing import (
    COUNT_BELOW,
    needs_rebuild,
    relearn_after_rewrite,
    search_probes,
    target_lists,
)
from servicekit.db import Database
from servicekit.logging import get_logger
from servicekit.ttl_cache import TtlCache

log = get_logger("phiacta.vectors")

SHAPE_TTL_SECONDS = 5.0
"""How long a process trusts the number of lists it read (another replica may rebuild)."""


@dataclass(frozen=True)
class Rebuilt:
    vectors: int
    lists_before: int
    lists_after: int
    seconds: float


class VectorIndex:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._shape: TtlCache[str, int] = TtlCache(SHAPE_TTL_SECONDS, max_entries=1)

    async def lists(self) -> int:
        """The index's current number of lists (1 when it is missing: scans are exact)."""
        lists = self._shape.get("lists")
        if lists is None:
            async with self.db.engine.connect() as conn:
                # Between a rebuild's drop of the old index and its rename of the new one,
                # the new one serves the searches.
                lists = (
                    await repository.index_lists(conn)
                    or await repository.index_lists(conn, repository.NEXT)
                    or 1
                )
            self._shape.put("lists", lists)
        return lists

    async def search_probes(self) -> int:
        return search_probes(await self.lists())

    async def maintain(self) -> Rebuilt | None:
        """One round: rebuild when the lists are far off and no other replica is at it."""
        async with self.db.engine.connect() as conn:
            lists = await repository.index_lists(conn)
            if lists is None:  # not migrated yet, dropped by hand, or a rebuild cut short
                await self._finish_interrupted()
                return None
            vectors = await repository.estimated_vectors(conn)
            if vectors < COUNT_BELOW:  # as cheap as the estimate at this size, and current
                vectors = await repository.counted_vectors(conn)
            if not needs_rebuild(lists, vectors):
                return None
        return await self.rebuild()

    async def vectors_rewritten(self, changed: int) -> Rebuilt | None:
        """After ``changed`` vectors were replaced (re-embedding, a new model): the lists were
        learned on the old ones, so re-learn them when that is a large share, whatever the
        number of vectors (which the keeper watches) did."""
        async with self.db.engine.connect() as conn:
            vectors = await repository.counted_vectors(conn)
        if not relearn_after_rewrite(changed, vectors):
            return None
        return await self.rebuild(force=True)

    @asynccontextmanager
    async def _rebuild_lock(self) -> AsyncIterator[AsyncConnection | None]:
        """An autocommit connection holding the rebuild lock, or None when another replica
        holds it."""
        async with self.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if not await repository.try_lock(conn):
                yield None
                return
            try:
                yield conn
            finally:
                await repository.unlock(conn)

    async def _finish_interrupted(self) -> None:
        """A rebuild stopped between dropping the old index and renaming the new one leaves
        the index under its temporary name: it gets its name back (under the rebuild lock)."""
        async with self._rebuild_lock() as conn:
            if conn is None:
                return
            await repository.finish_interrupted(conn)
        self._shape.clear()

    async def rebuild(self, *, force: bool = False) -> Rebuilt | None:
        """Re-learn the lists for the vectors present now (``force``: even when their number
        is still right); None when another replica holds the rebuild."""
        async with self._rebuild_lock() as conn:
            if conn is None:
                return None
            await repository.finish_interrupted(conn)
            before = await repository.index_lists(conn)
            vectors = await repository.counted_vectors(conn)
            if before is None or not (force or needs_rebuild(before, vectors)):
                return None  # another replica has just done it
            lists = target_lists(vectors)
            started = time.perf_counter()
            await repository.rebuild(conn, lists)
            done = Rebuilt(vectors, before, lists, time.perf_counter() - started)
        self._shape.clear()
        log.info(
            "vector index rebuilt",
            vectors=done.vectors,
            lists_before=done.lists_before,
            lists=done.lists_after,
            seconds=round(done.seconds, 2),
        )
        return done
