"""``suite phiacta``: migrate, create-agent (the bootstrap admin's key works), verify-audit,
maintain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from phiacta.cli import cli
from phiacta.config import Settings
from phiacta.main import build_app
from servicekit.embedded import sync_url
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


def test_maintain_embeds_claims_without_a_vector_and_relearns_the_lists(env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    engine = sa.create_engine(sync_url(env))
    try:
        with engine.begin() as conn:  # claims stored while the embedding provider was down
            conn.execute(
                sa.text(
                    "WITH a AS (INSERT INTO agents (agent_type, name) VALUES ('human', 'a') "
                    "RETURNING id), n AS (INSERT INTO namespaces (name, path) "
                    "VALUES ('n', 'n') RETURNING id) "
                    "INSERT INTO claims (lineage_id, claim_type, content, namespace_id, "
                    "created_by) SELECT gen_random_uuid(), 'assertion', 'Claim ' || i, n.id, "
                    "a.id FROM a, n, generate_series(1, 3) AS i"
                )
            )
        result = runner.invoke(cli, ["maintain"])
        assert result.exit_code == 0, result.output
        assert "embedded 3 claims (vector index re-learned)" in result.output
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(embedding) FROM claims")) == 3
        again = runner.invoke(cli, ["maintain"])
        assert "embedded 0 claims;" in again.output
    finally:
        engine.dispose()
