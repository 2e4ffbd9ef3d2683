"""Helpers the job tests share (conftest modules cannot be imported under importlib mode)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from celery import Celery

from servicekit.testing.jobs import CeleryWorkers, WorkerProcess

Headers = dict[str, str]
ReadyModel = Callable[..., Awaitable[dict[str, Any]]]
HERE = Path(__file__).parent


def start_worker(
    workers: CeleryWorkers,
    celery: Celery,
    env: dict[str, str],
    *,
    app_spec: str = "modelforge.worker",  # exactly the guide's `celery -A modelforge.worker`
    concurrency: int = 1,
    extra_env: dict[str, str] | None = None,
) -> WorkerProcess:
    """A worker started like the guide's command: no ``-Q``, so only its default queue."""
    return workers.start(
        celery,
        app_spec,
        queues=[],
        concurrency=concurrency,
        env={**env, **(extra_env or {})},
        pythonpath=[HERE],
    )
