"""A throwaway database for a benchmark: ``DATABASE_URL`` when set, else a new database of the
embedded PostgreSQL, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from servicekit.embedded import embedded_postgres


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    server = embedded_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = server.ensure_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)
