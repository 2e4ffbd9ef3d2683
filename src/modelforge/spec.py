"""How ModelForge plugs into the suite (``suite up``, ``suite modelforge ...``)."""

from __future__ import annotations

from fastapi import FastAPI

from modelforge.cli import cli
from modelforge.config import Settings
from modelforge.jobs.queue import QUEUE
from servicekit.service import Resources, ServiceSpec


def suite_settings(resources: Resources) -> Settings:
    """Settings under ``suite up``: the database and Redis the suite hands over."""
    settings = Settings()
    update: dict[str, object] = {}
    if resources.database_url:
        update["database_url"] = resources.database_url
    if resources.redis_url:
        update["redis_url"] = resources.redis_url
    return settings.model_copy(update=update)


def create_app(resources: Resources) -> FastAPI:
    from modelforge.main import build_app

    return build_app(suite_settings(resources))


spec = ServiceSpec(
    name="modelforge",
    title="ModelForge",
    description="Registry and serving of ONNX models: upload, validate, version, predict.",
    package="modelforge",
    create_app=create_app,
    migrations_package="modelforge.migrations",
    cli=cli,
    # The worker reads DATABASE_URL / REDIS_URL, which `suite up` sets to these resources.
    celery_app="modelforge.worker:app",
    worker_queues=(QUEUE,),
    ui_path="/ui",
    docs_path="/api/v1/docs",
    default_port=8000,
)
