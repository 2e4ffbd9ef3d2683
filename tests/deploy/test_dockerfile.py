"""deploy/Dockerfile: one multi-stage recipe for every service, slim non-root production."""

from __future__ import annotations

import re
import tomllib

from .catalog import DEPLOY, ROOT
from .dockerfile import exec_form, stages

BUILD_TOOLS = ("build-essential", "gcc", "g++", "cmake", "chromium")


def test_stages_the_issue_asks_for() -> None:
    found = stages()
    assert {"base", "development", "test", "production", "worker"} <= set(found)
    assert found["development"].base == "builder" and found["test"].base == "development"
    assert found["worker"].base == "production"


def test_python_matches_the_project() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minimum = re.search(r">=\s*(\d+\.\d+)", requires)[1]
    version = re.search(r"ARG PYTHON_VERSION=(\S+)", (DEPLOY / "Dockerfile").read_text())[1]
    assert tuple(map(int, version.split("."))) >= tuple(map(int, minimum.split(".")))
    assert stages()["base"].base == "python:${PYTHON_VERSION}-slim"


def test_builder_installs_the_service_extra_with_the_constraints() -> None:
    builder = stages()["builder"].text()
    assert 'pip install -c constraints.txt ".[${EXTRAS}]"' in builder
    assert "COPY pyproject.toml constraints.txt" in builder
    assert any(tool in builder for tool in ("build-essential", "cmake"))


def test_production_is_slim_and_runs_as_a_user() -> None:
    production = stages()["production"]
    assert production.base == "base", "production starts from the runtime base, not the builder"
    text = production.text() + "\n" + stages()["base"].text()
    for tool in BUILD_TOOLS:
        assert tool not in text, f"{tool} in the production image"
    assert "COPY --from=builder /opt/venv /opt/venv" in production.text()
    user = production.last("USER")
    assert user and user not in {"root", "0"}
    assert re.search(rf"useradd .*--uid (\d+) .*{user}", production.text())


def test_production_health_check_uses_python_on_the_health_path() -> None:
    production = stages()["production"]
    check = production.last("HEALTHCHECK")
    command = exec_form(check)
    assert command[0] == "python" and "curl" not in check and "wget" not in check
    assert "HEALTH_PATH" in command[-1]
    assert "ARG HEALTH_PATH=/health" in production.text()


def test_production_starts_uvicorn_with_workers_after_the_preflight() -> None:
    command = exec_form(stages()["production"].last("CMD"))
    script = command[-1]
    assert script.startswith("python /app/preflight.py && exec uvicorn ${SERVICE_PACKAGE}.main:app")
    assert "--workers ${WEB_CONCURRENCY}" in script
    assert "COPY deploy/preflight.py /app/preflight.py" in stages()["production"].text()


def test_worker_image_starts_celery() -> None:
    worker = stages()["worker"]
    script = exec_form(worker.last("CMD"))[-1]
    assert "exec celery -A ${SERVICE_PACKAGE}.worker worker" in script
    assert "celery" in worker.last("HEALTHCHECK")


def test_alembic_config_is_selected_per_service() -> None:
    production = stages()["production"].text()
    assert "ALEMBIC_CONFIG=/app/alembic/${SERVICE}.ini" in production
    assert "COPY deploy/alembic/ /app/alembic/" in production


def test_build_context_ignores_local_state() -> None:
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    for entry in (".git", ".venv", "**/.env"):
        assert entry in ignored
