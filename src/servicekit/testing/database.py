"""Fixtures for the real databases: the embedded PostgreSQL and Redis, or external test servers.

``TEST_DATABASE_URL`` (any database on an external server whose user may create databases) and
``TEST_REDIS_URL`` point the suite's tests at external servers; without them the embedded
servers run under the test session's temporary ``SUITE_HOME``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from servicekit.embedded import (
    EmbeddedPostgres,
    drop_database,
    embedded_postgres,
    embedded_redis,
    ensure_database,
)


@pytest.fixture(scope="session", autouse=True)
def suite_home_dir() -> Iterator[Path]:
    """A fresh ``SUITE_HOME`` for the whole test session (kept when the caller set one).

    It lives outside pytest's own temporary root on purpose: as root, the embedded PostgreSQL
    runs as the ``pgserver`` user, and pytest resets its root to mode 0700 at every start,
    which would lock a concurrently running server out of its data directory.
    """
    previous = os.environ.get("SUITE_HOME")
    home = Path(previous) if previous else Path(tempfile.mkdtemp(prefix="suite-test-home-"))
    os.environ["SUITE_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("SUITE_HOME", None)
        shutil.rmtree(home, ignore_errors=True)


class _ExternalPostgres:
    """The same small surface as :class:`EmbeddedPostgres`, on an external server."""

    def __init__(self, url: str) -> None:
        self.url = url

    def ensure_database(self, name: str) -> str:
        return ensure_database(self.url, name)

    def drop_database(self, name: str) -> None:
        drop_database(self.url, name)

    def stop(self) -> None:
        pass


@pytest.fixture(scope="session")
def postgres_server(suite_home_dir: Path) -> Iterator[EmbeddedPostgres | _ExternalPostgres]:
    external = os.environ.get("TEST_DATABASE_URL")
    # Through the process-wide registry, so code under test calling embedded_postgres() shares
    # this server instead of becoming a second owner of it.
    server = _ExternalPostgres(external) if external else embedded_postgres(suite_home_dir)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def make_database(
    postgres_server: EmbeddedPostgres | _ExternalPostgres,
) -> Iterator[Callable[[str], str]]:
    """Factory: ``make_database("galileo")`` -> async URL of a fresh, empty database."""
    created: list[str] = []

    def make(prefix: str = "test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        created.append(name)
        return postgres_server.ensure_database(name)

    yield make
    for name in created:
        postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[str], str]) -> str:
    """One fresh database for the test session (async SQLAlchemy URL)."""
    return make_database("kit")


@pytest.fixture(scope="session")
def redis_url(suite_home_dir: Path) -> Iterator[str]:
    """A Redis for the session: ``TEST_REDIS_URL`` or the embedded one (redis-py URL)."""
    external = os.environ.get("TEST_REDIS_URL")
    if external:
        yield external
        return
    server = embedded_redis(suite_home_dir)
    yield server.url()
    server.stop()
