"""What the vector index is made of, read from PostgreSQL's catalog, and its rebuild."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

INDEX = "ix_claims_embedding_ivf"
# Held (session level) by the one replica rebuilding the index at a time.
_REBUILD_LOCK = 0x1F_F1A7


async def index_lists(conn: AsyncConnection) -> int | None:
    """The index's number of lists; None when the index does not exist."""
    found = await conn.execute(
        text(
            "SELECT coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions) "
            "WHERE option_name = 'lists'), 100) FROM pg_class c "  # pgvector's default
            "WHERE c.oid = to_regclass(:index)"
        ),
        {"index": INDEX},
    )
    row = found.first()
    return None if row is None else int(row[0])


async def estimated_vectors(conn: AsyncConnection) -> int:
    """Claims with a vector, by the statistics (no scan): the live rows every writing
    transaction counts, less the share without a vector that the last ANALYZE saw. Enough to
    tell whether the lists are far off; the rebuild counts exactly."""
    return int(
        await conn.scalar(
            text(
                "SELECT coalesce(t.n_live_tup, 0) * (1 - coalesce((SELECT s.null_frac "
                "FROM pg_stats s WHERE s.schemaname = t.schemaname AND s.tablename = 'claims' "
                "AND s.attname = 'embedding'), 0)) FROM pg_stat_user_tables t "
                "WHERE t.relid = to_regclass('claims')"
            )
        )
        or 0
    )


async def counted_vectors(conn: AsyncConnection) -> int:
    return int(await conn.scalar(text("SELECT count(embedding) FROM claims")) or 0)


async def try_lock(conn: AsyncConnection) -> bool:
    return bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _REBUILD_LOCK}))


async def unlock(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _REBUILD_LOCK})


async def rebuild(conn: AsyncConnection, lists: int) -> None:
    """Re-learn the index's centroids for ``lists`` lists, on an autocommit connection.

    ``REINDEX CONCURRENTLY`` builds the new index beside the old one while bundles insert and
    searches read, then swaps them. The number of lists is a build option (scans and inserts
    read the built index's own), so setting it first changes nothing until the swap. A rebuild
    that failed midway leaves an invalid copy, dropped here before trying again.
    """
    leftovers = await conn.scalars(
        text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass('claims') AND NOT i.indisvalid "
            "AND c.relname LIKE :pattern"
        ),
        {"pattern": f"{INDEX}_cc%"},
    )
    for name in list(leftovers):
        await conn.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'))
    # Waits for searches holding the index, and makes new ones wait, only this long; k-means
    # over a large table's sample needs more than the default 64 MB. (Reset after: the
    # connection goes back to the pool.)
    await conn.execute(text("SET lock_timeout = '10s'"))
    await conn.execute(text("SET maintenance_work_mem = '512MB'"))
    try:
        await conn.execute(text(f"ALTER INDEX {INDEX} SET (lists = {int(lists)})"))
        await conn.execute(text(f"REINDEX INDEX CONCURRENTLY {INDEX}"))
    finally:
        await conn.execute(text("RESET lock_timeout"))
        await conn.execute(text("RESET maintenance_work_mem"))
