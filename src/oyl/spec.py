"""How Oyl plugs into the suite (``suite up``, ``suite oyl ...``)."""

from __future__ import annotations

from fastapi import FastAPI

from oyl.cli import cli
from oyl.config import Settings
from oyl.ingestion.queue import QUEUE
from servicekit.service import Resources, ServiceSpec


def suite_settings(resources: Resources) -> Settings:
    """Settings under ``suite up``: the suite's database and Redis, unless configured."""
    settings = Settings()
    update: dict[str, object] = {}
    if resources.database_url:
        update["database_url"] = resources.database_url
    if resources.redis_url and not settings.redis_url:
        update["redis_url"] = resources.redis_url
    return settings.model_copy(update=update)


def create_app(resources: Resources) -> FastAPI:
    from oyl.main import build_app

    return build_app(suite_settings(resources))


spec = ServiceSpec(
    name="oyl",
    title="Oyl",
    description="Multi-tenant AI teammates answering from their own documents, with citations.",
    package="oyl",
    create_app=create_app,
    migrations_package="oyl.migrations",
    cli=cli,
    celery_app="oyl.worker:app",
    worker_queues=(QUEUE,),
    ui_path=None,  # no web UI yet: /docs
    default_port=8000,
)
