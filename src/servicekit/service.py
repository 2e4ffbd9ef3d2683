"""How a service package describes itself to the ``suite`` composition root.

Each service exposes a :class:`ServiceSpec` through the ``suite.services`` entry point group, so
``suite`` can list, migrate, seed, serve and mount services without importing them by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer
    from fastapi import FastAPI

ENTRY_POINT_GROUP = "suite.services"


@dataclass(frozen=True)
class Resources:
    """What the composition root hands a service when it runs inside ``suite up``."""

    database_url: str | None = None
    redis_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    """URL prefix and database name under ``suite up`` (``galileo``, ``modelforge``...)."""
    title: str
    description: str
    package: str
    """Import name of the service package; ``<package>.main:app`` is its ASGI app."""
    create_app: Callable[[Resources], FastAPI]
    """Build the app with explicit resources (``suite up``); env vars fill everything else."""
    migrations_package: str | None = None
    seed: Callable[[Resources], None] | None = None
    """Idempotent demo/reference data loader, run after migrations by ``suite up``."""
    cli: typer.Typer | None = None
    """Mounted as ``suite <name> ...`` (import, export, create-admin, ...)."""
    celery_app: str | None = None
    """``module:attribute`` of the service's Celery app, when it has background work."""
    worker_queues: tuple[str, ...] = ()
    ui_path: str | None = "/ui"
    docs_path: str = "/docs"
    """Where the API reference is (linked instead when the service has no UI)."""
    default_port: int = 8000

    @property
    def entry_path(self) -> str:
        """The page the suite's landing page links to: the UI, or else the API reference."""
        return self.ui_path or self.docs_path


def discover() -> list[ServiceSpec]:
    """Every installed service, in a stable order."""
    specs: list[ServiceSpec] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        spec = ep.load()
        if not isinstance(spec, ServiceSpec):
            raise TypeError(f"entry point {ep.name!r} does not point at a ServiceSpec")
        specs.append(spec)
    return sorted(specs, key=lambda spec: spec.name)


def get(name: str) -> ServiceSpec:
    for spec in discover():
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in discover()) or "none installed"
    raise LookupError(f"unknown service {name!r} (known: {known})")
