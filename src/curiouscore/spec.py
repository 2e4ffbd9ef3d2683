"""How CuriousCore plugs into the suite (``suite up``, ``suite curiouscore ...``)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from curiouscore.cli import cli
from curiouscore.config import Settings
from servicekit.llm import configured_providers
from servicekit.service import Resources, ServiceSpec

LOCAL_MODEL = "local/gemma-3-270m"


def suite_settings(resources: Resources) -> Settings:
    """Settings under ``suite up``: the suite's database and Redis and, when no provider is
    chosen, the in-process local model for the Game Master (when it is installed)."""
    settings = Settings()
    update: dict[str, object] = {}
    if resources.database_url:
        update["database_url"] = resources.database_url
    if resources.redis_url and settings.redis_url is None:
        update["redis_url"] = resources.redis_url
    if settings.default_model is None and "local" in configured_providers(settings):
        update["default_llm_model"] = LOCAL_MODEL
    return settings.model_copy(update=update)


def create_app(resources: Resources) -> FastAPI:
    from curiouscore.main import build_app

    return build_app(suite_settings(resources))


def seed(resources: Resources) -> None:
    """Migrate and load the built-in challenges (idempotent)."""

    async def load() -> None:
        from curiouscore.challenges.seed import seed as load_seeds
        from curiouscore.runtime import open_curiouscore

        async with open_curiouscore(suite_settings(resources)) as core:
            await load_seeds(core.db)

    asyncio.run(load())


spec = ServiceSpec(
    name="curiouscore",
    title="CuriousCore",
    description=(
        "Gamified learning: challenges, an event-sourced game engine and an LLM Game Master."
    ),
    package="curiouscore",
    create_app=create_app,
    migrations_package="curiouscore.migrations",
    seed=seed,
    cli=cli,
    ui_path="/ui",
    default_port=8000,
)
