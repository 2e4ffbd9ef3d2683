"""Celery worker processes that ``suite up`` supervises next to the web server."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

from servicekit.jobs import spawn_worker, stop_workers
from servicekit.service import Resources, ServiceSpec


@dataclass
class WorkerPool:
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, spec: ServiceSpec, resources: Resources, *, concurrency: int = 1) -> None:
        """One worker per service, on the same database and broker as its web app."""
        assert spec.celery_app, f"{spec.name} has no Celery app"
        env = dict(os.environ)
        if resources.database_url:
            env["DATABASE_URL"] = resources.database_url
        if resources.redis_url:
            env["REDIS_URL"] = resources.redis_url
        self.processes[spec.name] = spawn_worker(
            spec.celery_app,
            queues=list(spec.worker_queues) or None,
            concurrency=concurrency,
            hostname=f"{spec.name}@%h",
            env=env,
        )

    def stop(self, timeout: float = 20.0) -> None:
        """Warm shutdown of every worker at once: running tasks finish, or are redelivered later."""
        stop_workers(self.processes.values(), timeout=timeout)
        self.processes.clear()
