"""Prediction history written off the request path, in batches.

A prediction's row gets its id and ``created_at`` when the request is served (so the history's
order is the order in which predictions were served, whichever batch carries them); this
per-process writer inserts queued rows in one multi-row statement every ``interval_seconds``
(25 ms) or ``max_batch`` rows, whichever comes first: a transaction costs about as much CPU for
one row as for fifty, so the interval is what turns many small writes into a few large ones.
When the queue is full (``max_queue`` rows waiting, e.g. PostgreSQL is slower than the traffic)
the request writes its own row inline instead: the history is an audit trail, so rows are
slowed down, never dropped.

Durability: ``close`` (the app's graceful shutdown) writes every queued row before the database
is disposed, and ``flush`` lets a reader of this process see every row served before it. A
process that is killed outright (SIGKILL, OOM, power loss) loses the rows still queued: at most
``interval_seconds`` of traffic plus the batch being written, bounded by ``max_queue`` rows.
Another worker process's history reads may miss this process's last ``interval_seconds``.

A row whose model or owner was deleted in the meantime cannot be inserted (its foreign key is
gone); the deletion would have cascaded to it anyway, so it is logged and skipped, without
failing the rest of its batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from modelforge.models import Prediction
from servicekit.db import Database
from servicekit.logging import get_logger

log = get_logger("modelforge.history")

Row = Mapping[str, Any]

_INSERT = insert(Prediction.__table__)


class HistoryWriter:
    def __init__(
        self,
        db: Database,
        *,
        interval_seconds: float = 0.025,
        max_batch: int = 500,
        max_queue: int = 10_000,
        retry_seconds: float = 0.5,
        give_up_after_seconds: float = 30.0,
    ) -> None:
        """``give_up_after_seconds``: how long ``close`` keeps retrying while PostgreSQL is
        unreachable before logging the rows it could not write (shutdown must end)."""
        self._db = db
        self._interval = interval_seconds
        self._max_batch = max_batch
        self._max_queue = max_queue
        self._retry = retry_seconds
        self._give_up_after = give_up_after_seconds
        self._pending: list[Row] = []
        self._submitted = 0
        self._done = 0
        self._wake = asyncio.Event()
        self._hurry = asyncio.Event()
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        # The writer task's own connection, kept between batches: checking one out of the pool
        # costs a round trip per batch (the pool's pre-ping) for nothing.
        self._connection: AsyncConnection | None = None
        self._closing = False

    @property
    def queued(self) -> int:
        return len(self._pending)

    async def record(self, row: Row) -> None:
        """Queue ``row`` (a ``predictions`` row with its id and ``created_at`` set)."""
        if self._closing or len(self._pending) >= self._max_queue:
            await self._insert_each([row])
            return
        self._pending.append(row)
        self._submitted += 1
        self._ensure_running()
        self._wake.set()

    async def flush(self) -> None:
        """Return once every row queued before this call is written (or skipped, see above)."""
        target = self._submitted
        if self._done >= target:
            return
        self._ensure_running()
        self._hurry.set()
        self._wake.set()
        async with self._progress:
            await self._progress.wait_for(lambda: self._done >= target)

    async def close(self) -> None:
        """Write everything still queued, then stop; later rows are written inline."""
        self._closing = True
        await self.flush()
        if self._task is not None:
            # Stopped by a flag, not by cancelling it: Python 3.11's asyncio.wait_for swallows
            # a cancellation that lands while its waiter is being woken, which left the
            # shutdown waiting forever for a writer that went back to sleep.
            self._wake.set()
            await self._task
            self._task = None
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="modelforge-history-writer")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if len(self._pending) < self._max_batch and not self._closing:
                # Let a batch gather, unless a reader or the shutdown is waiting for it.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval):
                        await self._hurry.wait()
            self._wake.clear()
            self._hurry.clear()
            while self._pending:
                batch = self._pending[: self._max_batch]
                await self._write(batch)
                del self._pending[: len(batch)]
                self._done += len(batch)
                async with self._progress:
                    self._progress.notify_all()
            if self._closing:
                return

    async def _write(self, batch: list[Row]) -> None:
        waited = 0.0
        while True:
            try:
                try:
                    await self._insert_on_own_connection(batch)
                except IntegrityError:
                    # One bad row fails the statement: write the others one by one (a retry
                    # after a partial pass meets its written rows as duplicates and skips them).
                    await self._insert_each(batch)
                return
            except Exception:
                # PostgreSQL unreachable or overloaded: keep the rows and try again.
                if self._closing and waited >= self._give_up_after:
                    log.error("prediction history rows lost at shutdown", rows=len(batch))
                    return
                log.exception("writing prediction history failed; retrying", rows=len(batch))
                await asyncio.sleep(self._retry)
                waited += self._retry

    async def _insert_on_own_connection(self, rows: list[Row]) -> None:
        """The writer task's batches (only that task uses ``_connection``)."""
        if self._connection is None:
            self._connection = await self._db.engine.connect()
        try:
            async with self._connection.begin():
                await self._connection.execute(_INSERT, list(rows))
        except IntegrityError:
            raise  # a bad row, not a bad connection: the transaction was rolled back
        except BaseException:
            # Possibly broken (PostgreSQL restarted): the retry checks out a fresh one.
            broken, self._connection = self._connection, None
            with contextlib.suppress(Exception):
                await broken.invalidate()
            raise

    async def _insert_batch(self, rows: list[Row]) -> None:
        # Core rather than the ORM: a batch costs a fixed ~1.5 ms of CPU however small, and the
        # ORM's bulk path adds a third to it for nothing (no objects to track).
        async with self._db.engine.begin() as connection:
            await connection.execute(_INSERT, list(rows))

    async def _insert_each(self, rows: list[Row]) -> None:
        for row in rows:
            try:
                await self._insert_batch([row])
            except IntegrityError:
                log.warning(
                    "prediction history row skipped: its model or owner no longer exists",
                    prediction_id=str(row.get("id")),
                    model_id=str(row.get("model_id")),
                )
