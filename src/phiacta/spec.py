"""How Phiacta plugs into the suite (``suite up``, ``suite phiacta ...``).

Phiacta has no seed step: its reference data (the 15 edge types) is written by the first
migration. The first API key comes from ``suite phiacta create-agent``.
"""

from __future__ import annotations

from fastapi import FastAPI

from phiacta.cli import cli
from phiacta.config import Settings
from servicekit.config import Environment
from servicekit.service import Resources, ServiceSpec


class SuiteSettings(Settings):
    """Under ``suite up`` (a local, zero-configuration run) the environment defaults to
    development; ``ENVIRONMENT`` still decides when it is set."""

    environment: Environment = Environment.development


def suite_settings(resources: Resources) -> Settings:
    """Settings under ``suite up``: the suite's database and, unless ``REDIS_URL`` names
    another, its Redis for the rate-limit counters."""
    settings = SuiteSettings()
    update: dict[str, object] = {}
    if resources.database_url:
        update["database_url"] = resources.database_url
    if resources.redis_url and settings.redis_url is None:
        update["redis_url"] = resources.redis_url
    return settings.model_copy(update=update)


def create_app(resources: Resources) -> FastAPI:
    from phiacta.main import build_app

    return build_app(suite_settings(resources))


spec = ServiceSpec(
    name="phiacta",
    title="Phiacta",
    description=(
        "Knowledge backend of versioned claims, typed edges, provenance, reviews and "
        "confidence; bundle ingestion, full-text, semantic and hybrid search, traversal."
    ),
    package="phiacta",
    create_app=create_app,
    migrations_package="phiacta.migrations",
    cli=cli,
    ui_path=None,  # API only, as the guide designs it: /docs
    default_port=8000,
)
