"""Health, configuration, migrations from an empty database, the seed and the CLI."""

from __future__ import annotations

import pytest
from alembic import command
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from curiouscore.challenges.seed import builtin_seeds, challenge_id_for, seed
from curiouscore.cli import cli
from curiouscore.config import Settings
from curiouscore.engine.definitions import StepType
from servicekit.db import Database, Migrations
from servicekit.embedded import sync_url


async def test_health_has_the_guides_shape(client, core, cc_database) -> None:
    answer = await client.get("/health")
    body = answer.json()
    assert answer.status_code == 200
    assert body["status"] == "healthy" and body["database"] == "connected"
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["schema"] == "current"
    assert body["timestamp"].startswith("20")
    working = core.db
    core.db = Database(cc_database.rsplit("/", 1)[0] + "/no_such_database_here")
    try:
        down = await client.get("/health")
        down_ready = await client.get("/ready")
    finally:
        await core.db.dispose()
        core.db = working
    assert down.status_code == 503 and down.json()["database"] == "disconnected"
    assert down_ready.status_code == 503


def test_settings_follow_the_guide() -> None:
    settings = Settings(_env_file=None, cors_origins="https://a.example, http://localhost:8080")
    assert settings.cors_origins == ["https://a.example", "http://localhost:8080"]
    assert settings.algorithm == "HS256" and settings.access_token_expire_minutes == 30
    assert settings.llm_max_requests_per_minute == 60 and settings.llm_timeout_seconds == 30
    assert (settings.host, settings.port) == ("0.0.0.0", 8000)


def test_a_provider_key_alone_gives_the_game_master_a_model(monkeypatch) -> None:
    for name in ("ANTHROPIC", "OPENAI", "GEMINI"):
        monkeypatch.delenv(f"{name}_API_KEY", raising=False)
    for name in ("DEFAULT_LLM_PROVIDER", "DEFAULT_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(_env_file=None).default_model is None
    assert Settings(_env_file=None, openai_api_key="sk-x").default_model == "openai/gpt-4o-mini"
    assert Settings(_env_file=None, gemini_api_key="g").default_model.startswith("gemini/")
    explicit = Settings(
        _env_file=None,
        anthropic_api_key="a",
        default_llm_provider="ollama",
        default_llm_model="llama3.2",
    )
    assert explicit.default_model == "ollama/llama3.2"


def test_sqlite_is_refused_with_directions() -> None:
    with pytest.raises(ValidationError, match="leave DATABASE_URL unset"):
        Settings(_env_file=None, database_url="sqlite+aiosqlite:///./app.db")


def test_production_needs_a_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production")


def test_migrations_from_an_empty_database(make_database) -> None:
    url = make_database("curiouscore_migrations")
    runner = Migrations("curiouscore.migrations", url)
    runner.upgrade()
    assert runner.is_current()
    command.check(runner.config())  # raises if models.py drifted from the migration history
    engine = create_engine(sync_url(url))
    try:
        schema = inspect(engine)
        events = {tuple(u["column_names"]) for u in schema.get_unique_constraints("game_events")}
        snapshots = {
            tuple(u["column_names"]) for u in schema.get_unique_constraints("session_snapshots")
        }
        assert ("session_id", "sequence_number") in events
        assert ("session_id", "event_sequence") in snapshots
    finally:
        engine.dispose()
    runner.downgrade("base")
    assert runner.current() is None


def test_builtin_content_mixes_every_step_type() -> None:
    seeds = builtin_seeds()
    assert len(seeds) >= 4
    titles = " ".join(s.challenge["title"] for s in seeds)
    for topic in ("Functions", "Git", "REST"):
        assert topic in titles
    for item in seeds:
        assert 6 <= len(item.steps) <= 8, item.challenge["title"]
        assert {s["step_type"] for s in item.steps} == {t.value for t in StepType}
        for step in item.steps:
            if step["step_type"] == "CHAT":  # the rubric adds up to what the step is worth
                points = sum(c["points"] for c in step["rubric"]["criteria"].values())
                assert points == step["points_possible"], step["title"]


async def test_seed_is_idempotent_and_keeps_admin_edits(
    client, core, admin, register, play
) -> None:
    first = await seed(core.db)
    again = await seed(core.db)
    assert again.created == again.updated == again.kept == []
    assert len(again.unchanged) == len(first.created) + len(first.unchanged)
    listed = (await client.get("/challenges")).json()
    git = next(c for c in listed if c["title"].startswith("Git"))
    assert git["step_count"] == 7
    assert git["id"] == str(challenge_id_for("git-commits-branches"))  # stable across installs

    # `suite up` seeds at every start: an admin's edit must survive it, unless restored.
    path = f"/admin/challenges/{git['id']}"
    await client.patch(path, json={"is_active": False, "xp_reward": 5}, headers=admin)
    kept = await seed(core.db)
    assert kept.kept == [git["title"]] and kept.updated == []
    assert (await client.get(path, headers=admin)).json()["is_active"] is False
    restored = await seed(core.db, restore=True)
    assert restored.updated == [git["title"]]
    assert (await client.get(path, headers=admin)).json()["xp_reward"] == git["xp_reward"]
    # A seeded challenge is playable end to end from its first step.
    learner = await register()
    sid = (await play(learner, "POST", "/sessions", {"challenge_id": git["id"]}, status=201))["id"]
    started = await play(learner, "POST", f"/sessions/{sid}/start")
    assert started["ui_response"]["ui_mode"] == "CONTINUE_GATE"


def test_cli_migrate_seed_and_create_admin(make_database, monkeypatch) -> None:
    url = make_database("curiouscore_cli")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "cli-test-secret-0123456789abcdef")
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    seeded = runner.invoke(cli, ["seed"])
    assert seeded.exit_code == 0 and seeded.output.count("created") == len(builtin_seeds())
    reseeded = runner.invoke(cli, ["seed"])
    assert "created" not in reseeded.output and "unchanged" in reseeded.output
    restored = runner.invoke(cli, ["seed", "--restore"])  # nothing was edited: nothing to do
    assert restored.exit_code == 0 and "updated" not in restored.output
    made = runner.invoke(
        cli,
        ["create-admin", "--email", "Boss@Example.com", "--username", "boss"],
        input="a long password\na long password\n",
    )
    assert made.exit_code == 0, made.output
    assert "boss@example.com" in made.output


async def test_cors_allows_the_configured_origins_only(client) -> None:
    allowed = await client.options(
        "/challenges",
        headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "GET"},
    )
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:8080"
    other = await client.options(
        "/challenges",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in other.headers
