"""Dataset use cases: load files into PostgreSQL, keep them in sync, serve them without labels."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import watchfiles

from galileo_arena.datasets import files, repository
from galileo_arena.datasets.files import DatasetFileError, LoadedDataset
from galileo_arena.models import Dataset, DatasetCase
from servicekit.db import Database
from servicekit.errors import NotFound
from servicekit.logging import get_logger

log = get_logger("galileo.datasets")


@dataclass
class SyncReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def merge(self, other: SyncReport) -> SyncReport:
        self.loaded += other.loaded
        self.unchanged += other.unchanged
        self.errors += other.errors
        return self


class DatasetService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self) -> Sequence[Dataset]:
        async with self.db.session() as session:
            return await repository.list_datasets(session)

    async def get(self, dataset_id: str) -> tuple[Dataset, Sequence[DatasetCase]]:
        async with self.db.session() as session:
            dataset = await repository.get_dataset(session, dataset_id)
            if dataset is None:
                raise NotFound("Dataset not found", code="dataset_not_found")
            return dataset, await repository.list_cases(session, dataset_id)

    async def sync_directory(self, directory: Path, *, source: str) -> SyncReport:
        """Load every dataset of ``directory`` whose file content changed since the last load."""
        report = await asyncio.to_thread(files.load_directory, directory)
        result = await self._store(report.datasets, source=source)
        result.errors += [str(error) for error in report.errors]
        for error in result.errors:
            log.warning("dataset file rejected", error=error)
        return result

    async def sync_all(self, directories: Iterable[tuple[Path, str]]) -> SyncReport:
        total = SyncReport()
        for directory, source in directories:
            total.merge(await self.sync_directory(directory, source=source))
        if total.loaded:
            log.info("datasets loaded", datasets=total.loaded)
        return total

    async def import_files(self, uploads: Sequence[tuple[str, bytes]]) -> SyncReport:
        """Validate uploaded files (all or nothing) and store them; errors name file/case/field."""
        loaded: list[LoadedDataset] = []
        errors: list[str] = []
        for name, data in uploads:
            try:
                loaded.append(files.load_bytes(name, data))
            except DatasetFileError as exc:
                errors.append(str(exc))
        if errors:
            return SyncReport(errors=errors)
        return await self._store(loaded, source="upload", force=True)

    async def watch(self, directories: Sequence[tuple[Path, str]], stop: asyncio.Event) -> None:
        """Reload a directory's datasets whenever one of its files changes, until ``stop``."""
        paths = [directory for directory, _ in directories if directory.is_dir()]
        if not paths:
            return
        async for _changes in watchfiles.awatch(*paths, stop_event=stop, debounce=500):
            try:
                await self.sync_all(directories)
            except Exception:
                log.exception("dataset reload failed")

    async def _store(
        self, datasets: Sequence[LoadedDataset], *, source: str, force: bool = False
    ) -> SyncReport:
        result = SyncReport()
        async with self.db.session() as session:
            known = await repository.dataset_hashes(session)
            for item in datasets:
                document = item.document
                if not force and known.get(document.id) == item.content_hash:
                    result.unchanged.append(document.id)
                    continue
                await repository.upsert_dataset(
                    session,
                    dataset_id=document.id,
                    version=item.version,
                    description=document.description,
                    meta=dict(document.meta),
                    source=f"{source}:{item.path.name}",
                    content_hash=item.content_hash,
                    cases=document.cases,
                )
                result.loaded.append(document.id)
        return result
