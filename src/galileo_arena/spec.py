"""How Galileo Arena plugs into the suite (``suite up``, ``suite galileo ...``)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from fastapi import FastAPI

from galileo_arena.cli import cli
from galileo_arena.config import Settings
from servicekit.config import suite_home
from servicekit.service import Resources, ServiceSpec


def suite_models_dir() -> Path:
    return suite_home() / "galileo" / "models"


def suite_settings(resources: Resources) -> Settings:
    """Settings under ``suite up``: the suite's database and, unless ``ML_MODELS_DIR`` says
    otherwise, the offline models prepared in the suite's data directory."""
    settings = Settings()
    update: dict[str, object] = {}
    if resources.database_url:
        update["database_url"] = resources.database_url
    if "ml_models_dir" not in settings.model_fields_set and not os.environ.get("ML_MODELS_DIR"):
        update["ml_models_dir"] = suite_models_dir()
    return settings.model_copy(update=update)


def create_app(resources: Resources) -> FastAPI:
    from galileo_arena.main import build_app

    return build_app(suite_settings(resources))


def seed(resources: Resources) -> None:
    """Prepare the offline ML half (when ML scoring is on) and load the built-in datasets."""
    settings = suite_settings(resources)
    if settings.ml_scoring_enabled and settings.ml_models_dir == suite_models_dir():
        from galileo_arena.ml.local_models import prepare_local_models

        prepare_local_models(settings.ml_models_dir)

    async def load() -> None:
        from galileo_arena.runtime import open_galileo

        async with open_galileo(
            settings.model_copy(update={"ml_scoring_enabled": False}), background=False
        ):
            pass

    asyncio.run(load())


spec = ServiceSpec(
    name="galileo",
    title="Galileo Arena",
    description="Evaluate LLMs with an adversarial four-role debate per case and a scoring rubric.",
    package="galileo_arena",
    create_app=create_app,
    migrations_package="galileo_arena.migrations",
    seed=seed,
    cli=cli,
    ui_path="/ui",
    default_port=8000,
)
