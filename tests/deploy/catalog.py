"""What the deployment artifacts must agree on, per service: names, probes, required secret.

The probes are each guide's endpoints (CuriousCore's liveness is the kit's process-only /livez:
its guide's /health checks the database, which must not restart a container). The production
start tests prove every path here answers on the real app; the compose, Dockerfile and
Kubernetes tests prove the artifacts use these paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


@dataclass(frozen=True)
class Service:
    name: str
    """Suite name: pyproject extra, deploy/env/<name>, deploy/k8s/<name>, alembic/<name>.ini."""
    package: str
    liveness: str
    readiness: str
    healthcheck: str
    """What the image's HEALTHCHECK and compose ask (the guide's health endpoint)."""
    secret: str
    """A variable production refuses to start without (galileo needs no secret: its database)."""
    worker: bool = False
    compose_database: str = ""

    @property
    def alembic_ini(self) -> Path:
        return DEPLOY / "alembic" / f"{self.name}.ini"

    @property
    def env_example(self) -> Path:
        return DEPLOY / "env" / self.name / ".env.example"


SERVICES = (
    Service("galileo", "galileo_arena", "/health", "/ready", "/health", "DATABASE_URL",
            compose_database="galileo_arena"),
    Service("modelforge", "modelforge", "/api/v1/live", "/api/v1/ready", "/api/v1/live",
            "SECRET_KEY", worker=True, compose_database="modelforge"),
    Service("phiacta", "phiacta", "/health", "/ready", "/health", "API_KEY_SALT",
            compose_database="phiacta"),
    Service("curiouscore", "curiouscore", "/livez", "/ready", "/health", "SECRET_KEY",
            compose_database="curiouscore"),
    Service("oyl", "oyl", "/health", "/ready", "/health", "SECRET_KEY", worker=True,
            compose_database="oyl_db"),
)  # fmt: skip
BY_NAME = {service.name: service for service in SERVICES}


def settings_class(service: Service) -> type:
    from importlib import import_module

    return import_module(f"{service.package}.config").Settings


def settings_env_names(service: Service) -> set[str]:
    """Every environment variable the service's Settings class reads."""
    settings = settings_class(service)
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        names.add((alias if isinstance(alias, str) else name).upper())
    return names


def dockerfile_env_names() -> set[str]:
    """Variables the image itself defines (ENV lines): WEB_CONCURRENCY, HEALTH_PATH..."""
    names: set[str] = set()
    continued = False
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("ENV ") or continued:
            body = stripped.removeprefix("ENV ").rstrip("\\").strip()
            for part in body.split():
                if "=" in part:
                    names.add(part.split("=", 1)[0])
            continued = stripped.endswith("\\")
    return names
