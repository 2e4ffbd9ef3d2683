"""`alembic upgrade head`, `downgrade base`, `upgrade head` for every service, on PostgreSQL.

Run through the Alembic command line with the deployment's configuration
(deploy/alembic/<service>.ini, what `alembic upgrade head` uses in the images and the migration
Jobs), the database named by DATABASE_URL, on the embedded PostgreSQL with pgvector.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.config import CommandLine

from servicekit.db import Migrations

from .catalog import SERVICES, Service
from .schema_snapshot import leftovers, snapshot


def alembic(service: Service, *argv: str) -> None:
    CommandLine(prog="alembic").main(["-c", str(service.alembic_ini), *argv])


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_upgrade_downgrade_upgrade_round_trip(
    service: Service, make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database(f"migrate_{service.name}")
    monkeypatch.setenv("DATABASE_URL", url)
    runner = Migrations(f"{service.package}.migrations", url)

    alembic(service, "upgrade", "head")
    assert runner.current() == runner.head() is not None
    first = snapshot(url)
    assert first["relation"], "head created no table"

    alembic(service, "downgrade", "base")
    assert runner.current() is None
    assert leftovers(snapshot(url)) == {}, "downgrade base left objects behind"

    alembic(service, "upgrade", "head")
    assert runner.current() == runner.head()
    assert snapshot(url) == first, "the second upgrade built a different schema"


def test_the_command_line_needs_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit, match="DATABASE_URL is not set"):
        alembic(SERVICES[0], "upgrade", "head")
