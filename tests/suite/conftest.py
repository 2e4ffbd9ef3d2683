"""A throwaway service installed through the real ``suite.services`` entry point mechanism."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

DEMO_PACKAGE = '''
from contextlib import asynccontextmanager

import sqlalchemy as sa
import typer
from fastapi import APIRouter

from servicekit.app import create_app as make_app
from servicekit.db import Database
from servicekit.embedded import database_url
from servicekit.service import Resources, ServiceSpec

cli = typer.Typer()


@cli.command()
def hello(name: str = "world") -> None:
    """Say hello (a service's own command under `suite demo`)."""
    print(f"hello {name} from demo")


def create_app(resources: Resources):
    from servicekit.jobs import make_celery

    db = Database(resources.database_url or database_url("demo", None))
    # Tasks go to the broker `suite up` hands this service, the one its worker consumes.
    sender = make_celery("demo", broker_url=resources.redis_url)
    router = APIRouter()

    @router.post("/notes/{body}", status_code=202)
    async def add_note(body: str) -> dict[str, str]:
        return {"task_id": sender.send_task("demo.note", args=[body]).id}

    @router.get("/notes")
    async def notes() -> list[str]:
        async with db.session() as session:
            return list((await session.execute(sa.text("SELECT body FROM note"))).scalars())

    @asynccontextmanager
    async def lifespan(app):
        yield
        await db.dispose()

    return make_app(title="Demo", version="0", routers=[router], lifespan=lifespan)


def seed(resources: Resources) -> None:
    import psycopg
    from servicekit.embedded import libpq_url

    with psycopg.connect(libpq_url(resources.database_url)) as conn:
        conn.execute("INSERT INTO note (body) VALUES ('seeded') ON CONFLICT DO NOTHING")


spec = ServiceSpec(
    name="demo",
    title="Demo",
    description="A service made by the tests.",
    package="demo_service",
    create_app=create_app,
    migrations_package="demo_service.migrations",
    seed=seed,
    cli=cli,
    celery_app="demo_service.worker:app",
    ui_path=None,
)
'''

WORKER = """
import os

import psycopg

from servicekit.embedded import libpq_url
from servicekit.jobs import make_celery

# The worker process gets REDIS_URL and DATABASE_URL from `suite up`.
app = make_celery("demo", broker_url=os.environ.get("REDIS_URL"))


@app.task(name="demo.note")
def note(body: str) -> None:
    with psycopg.connect(libpq_url(os.environ["DATABASE_URL"])) as conn:
        conn.execute("INSERT INTO note (body) VALUES (%s) ON CONFLICT DO NOTHING", (body,))
"""

MIGRATION = """
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("note", sa.Column("body", sa.Text, primary_key=True))


def downgrade():
    op.drop_table("note")
"""


@pytest.fixture(scope="session")
def demo_service_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory to put on PYTHONPATH: the package plus a dist-info declaring the entry point."""
    root = tmp_path_factory.mktemp("demo-service")
    pkg = root / "demo_service"
    (pkg / "migrations" / "versions").mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent(DEMO_PACKAGE))
    (pkg / "worker.py").write_text(textwrap.dedent(WORKER))
    (pkg / "migrations" / "__init__.py").write_text("")
    (pkg / "migrations" / "env.py").write_text(
        "from sqlalchemy import MetaData\n"
        "from servicekit.db import run_alembic_env\n"
        "run_alembic_env(MetaData())\n"
    )
    (pkg / "migrations" / "versions" / "0001_note.py").write_text(textwrap.dedent(MIGRATION))
    dist = root / "demo_service-0.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-service\nVersion: 0.0.0\n")
    (dist / "entry_points.txt").write_text("[suite.services]\ndemo = demo_service:spec\n")
    return root


@pytest.fixture
def demo_env(demo_service_path: Path, tmp_path: Path) -> dict[str, str]:
    """Environment for a `suite` subprocess that sees the demo service and a fresh data dir."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(demo_service_path), *filter(None, [env.get("PYTHONPATH")])]
    )
    env["SUITE_HOME"] = str(tmp_path / "home")
    for key in ("DATABASE_URL", "REDIS_URL", "SUITE_DATABASE_URL", "SUITE_REDIS_URL"):
        env.pop(key, None)
    return env
