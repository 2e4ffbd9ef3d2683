"""What the vector index is made of, read from PostgreSQL's catalog, and its rebuild."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

INDEX = "ix_claims_embedding_ivf"
NEXT = f"{INDEX}_next"
"""The index being built by a rebuild, until it replaces ``INDEX``."""
# Held (session level) by the one replica rebuilding the index at a time.
_REBUILD_LOCK = 0x1F_F1A7


async def index_lists(conn: AsyncConnection, name: str = INDEX) -> int | None:
    """The number of lists of the index ``name``; None when there is no such index."""
    found = await conn.execute(
        text(
            "SELECT coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions) "
            "WHERE option_name = 'lists'), 100) FROM pg_class c "  # pgvector's default
            "WHERE c.oid = to_regclass(:index)"
        ),
        {"index": name},
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
    """Re-learn the index's centroids for ``lists`` lists, on an autocommit connection (after
    ``finish_interrupted``).

    A new index is built beside the old one (``CREATE INDEX CONCURRENTLY``: bundles insert and
    searches read meanwhile), the old one dropped (``DROP INDEX CONCURRENTLY``) and the new one
    renamed in its place. None of these steps makes a bundle wait: each waits for the
    transactions already running, and a rename takes a lock writers do not conflict with. (The
    number of lists is a build option; changing it on the live index, ``ALTER INDEX SET``,
    takes a lock every bundle conflicts with, and a bundle waits on its near-duplicate check,
    which queued behind that lock: a stall broken only by a lock timeout.)
    """
    width = await conn.scalar(
        text(
            "SELECT atttypmod FROM pg_attribute "
            "WHERE attrelid = to_regclass('claims') AND attname = 'embedding'"
        )
    )
    # k-means over a large table's sample needs more than the default 64 MB. (Reset after:
    # the connection goes back to the pool.)
    await conn.execute(text("SET maintenance_work_mem = '512MB'"))
    try:
        await conn.execute(
            text(
                f"CREATE INDEX CONCURRENTLY {NEXT} ON claims USING ivfflat "
                f"((embedding::halfvec({int(width)})) halfvec_cosine_ops) "
                f"WITH (lists = {int(lists)})"
            )
        )
    finally:
        await conn.execute(text("RESET maintenance_work_mem"))
    await conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"))
    await conn.execute(text(f"ALTER INDEX {NEXT} RENAME TO {INDEX}"))


async def finish_interrupted(conn: AsyncConnection) -> None:
    """Clear up after a rebuild that stopped midway (autocommit connection): an invalid
    half-built index is dropped; a complete new one whose predecessor is already gone takes
    its name."""
    leftovers = await conn.execute(
        text(
            "SELECT c.relname, i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass('claims') "
            "AND (c.relname = :next OR c.relname LIKE :reindexed)"
        ),
        # The second: the copy an interrupted REINDEX CONCURRENTLY (earlier versions) left.
        {"next": NEXT, "reindexed": f"{INDEX}_cc%"},
    )
    for name, valid in list(leftovers):
        if valid and name == NEXT and await index_lists(conn) is None:
            await conn.execute(text(f"ALTER INDEX {NEXT} RENAME TO {INDEX}"))
        else:
            await conn.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"'))
