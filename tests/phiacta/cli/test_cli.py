"""``suite phiacta``: migrate, create-agent (the bootstrap admin's key works), verify-audit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from phiacta.cli import cli
from phiacta.config import Settings
from phiacta.main import build_app
from servicekit.testing.app import app_client


@pytest.fixture
def env(make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> str:
    url = make_database("phiacta")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("API_KEY_SALT", "cli-pepper")
    return url


def test_migrate_then_create_agent_then_use_its_key(env: str) -> None:
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert "revision 0005" in migrated.output
    created = runner.invoke(cli, ["create-agent", "--name", "Root", "--type", "organization"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("phlive_")
    assert runner.invoke(cli, ["verify-audit"]).exit_code == 0

    async def use_key() -> int:
        async with app_client(build_app(Settings(_env_file=None))) as client:
            response = await client.post(
                "/v1/namespaces", json={"name": "root"}, headers={"Authorization": f"Bearer {key}"}
            )
            return response.status_code

    assert asyncio.run(use_key()) == 201


def test_create_agent_rejects_unknown_types(env: str) -> None:
    result = CliRunner().invoke(cli, ["create-agent", "--name", "x", "--type", "robot"])
    assert result.exit_code == 1
