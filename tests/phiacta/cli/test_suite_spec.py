"""Phiacta under ``suite up``: migrated as the suite does it, mounted under ``/phiacta``, and the
key ``suite phiacta create-agent`` prints works there with no configuration at all."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from phiacta.spec import spec, suite_settings
from servicekit.db import Migrations
from servicekit.embedded import EmbeddedPostgres
from servicekit.service import Resources
from servicekit.testing.app import app_client
from suite.compose import Mounted, build_root_app


@pytest.fixture
def local_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "ENVIRONMENT", "API_KEY_SALT", "OPENAI_API_KEY", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_suite_settings_are_a_local_development_run(local_env: None) -> None:
    settings = suite_settings(Resources(database_url="postgresql+asyncpg://h/phiacta"))
    assert settings.environment == "development"
    assert settings.database_url == "postgresql+asyncpg://h/phiacta"
    assert settings.redis_url is None  # one process: rate-limit counters in memory


def test_mounted_in_the_suite_with_a_key_from_the_cli(
    local_env: None, postgres_server: EmbeddedPostgres
) -> None:
    # The service's database as `suite up` names it, which the CLI finds with no DATABASE_URL.
    url = postgres_server.ensure_database(spec.name)
    assert spec.migrations_package is not None and spec.cli is not None
    Migrations(spec.migrations_package, url).upgrade()  # what `suite up` runs
    created = CliRunner().invoke(spec.cli, ["create-agent", "--name", "me"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("phtest_")

    async def use() -> tuple[int, int, dict[str, object]]:
        root = build_root_app([Mounted(spec, Resources(database_url=url))])
        async with app_client(root) as client:
            ready = await client.get("/phiacta/ready")
            made = await client.post(
                "/phiacta/v1/namespaces",
                json={"name": "suite"},
                headers={"Authorization": f"Bearer {key}"},
            )
            refused = await client.get("/phiacta/v1/claims")
            return ready.status_code, made.status_code, refused.json()

    ready, made, refused = asyncio.run(use())
    assert (ready, made) == (200, 201)
    assert refused["error"]["code"] == "UNAUTHENTICATED"
