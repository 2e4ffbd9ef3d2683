"""The object graph of a running Galileo Arena, shared by the web app and the CLI.

``open_galileo`` resolves the database (the embedded PostgreSQL when ``DATABASE_URL`` is unset),
migrates it outside production, loads datasets and the ML models, and builds the services. With
``background=True`` (the web app) it also starts the live event hub, the dataset file watcher and
the run executor, and stops them on exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from galileo_arena.config import Settings
from galileo_arena.core.rubric import load_rubric
from galileo_arena.datasets.files import builtin_directory
from galileo_arena.datasets.service import DatasetService
from galileo_arena.ml.scorer import MLScorer
from galileo_arena.models import run_events
from galileo_arena.runs.evaluation import Evaluator
from galileo_arena.runs.executor import RunExecutor
from galileo_arena.runs.service import RunService
from servicekit.db import Database, Migrations, PoolSettings
from servicekit.embedded import database_url
from servicekit.events import EventHub, EventLog
from servicekit.llm import LLMClient
from servicekit.logging import get_logger
from servicekit.ratelimit import RateLimiter

log = get_logger("galileo")

MIGRATIONS_PACKAGE = "galileo_arena.migrations"


@dataclass
class Galileo:
    settings: Settings
    db: Database
    events: EventLog
    hub: EventHub
    datasets: DatasetService
    runs: RunService
    executor: RunExecutor
    evaluator: Evaluator
    llm: LLMClient
    scorer: MLScorer | None
    limiter: RateLimiter
    run_limit: Callable[..., Awaitable[None]]


def dataset_directories(settings: Settings) -> list[tuple[Path, str]]:
    directories = [(builtin_directory(), "builtin")]
    if settings.datasets_dir is not None:
        directories.append((settings.datasets_dir.expanduser().resolve(), "dir"))
    return directories


def load_scorer(settings: Settings) -> MLScorer | None:
    """The ML scorer, or None when ML scoring is off; missing models raise ``MLModelsMissing``."""
    if not settings.ml_scoring_enabled:
        return None
    return MLScorer.load(
        settings.ml_models_dir,
        intra_threads=settings.onnx_intra_threads,
        max_workers=settings.ml_max_workers,
        nli_max_tokens=settings.ml_nli_max_tokens,
    )


def migrations(settings: Settings) -> Migrations:
    return Migrations(MIGRATIONS_PACKAGE, database_url("galileo", settings.database_url))


@asynccontextmanager
async def open_galileo(settings: Settings, *, background: bool) -> AsyncIterator[Galileo]:
    # Checked first: missing model files are a configuration error to report before anything.
    scorer = load_scorer(settings)
    url = await asyncio.to_thread(database_url, "galileo", settings.database_url)
    if not settings.is_production:  # the guide: production migrates as a separate step
        await Migrations(MIGRATIONS_PACKAGE, url).upgrade_async()
    db = Database(url, pool=PoolSettings(size=10, max_overflow=20))
    events = EventLog(db, run_events)
    rubric = load_rubric()
    llm = LLMClient(settings)
    evaluator = Evaluator(llm, settings, rubric, scorer)
    executor = RunExecutor(db, events, evaluator, settings)
    limiter = RateLimiter.from_url(settings.redis_url, namespace="galileo")
    galileo = Galileo(
        settings=settings,
        db=db,
        events=events,
        hub=EventHub(events),
        datasets=DatasetService(db),
        runs=RunService(
            db,
            events,
            settings,
            scoring_mode=evaluator.scoring_mode,
            rubric_version=rubric.version,
            on_created=lambda _: executor.wake(),
        ),
        executor=executor,
        evaluator=evaluator,
        llm=llm,
        scorer=scorer,
        limiter=limiter,
        run_limit=limiter.limit(*settings.rate_limit_runs.split(";"), group="create_run"),
    )
    stop_watching = asyncio.Event()
    watcher: asyncio.Task[None] | None = None
    try:
        directories = dataset_directories(settings)
        await galileo.datasets.sync_all(directories)
        if background:
            watcher = asyncio.create_task(galileo.datasets.watch(directories, stop_watching))
            await galileo.hub.start()
            await executor.start()
        log.info("galileo arena ready", scoring_mode=evaluator.scoring_mode)
        yield galileo
    finally:
        await executor.stop()
        stop_watching.set()
        if watcher is not None:
            await asyncio.gather(watcher, return_exceptions=True)
        if background:
            await galileo.hub.stop()
        await llm.aclose()
        await limiter.aclose()
        if scorer is not None:
            scorer.close()
        await db.dispose()
