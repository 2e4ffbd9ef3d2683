"""``suite oyl ...``: migrate, create the platform admin or a tenant, ingest a directory, run
the worker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from oyl.config import Settings
from servicekit.cli import fail, service_cli
from servicekit.errors import ServiceError

cli = service_cli("Oyl: multi-tenant AI teammates answering from their documents, with citations.")
console = Console()


@cli.command()
def migrate() -> None:
    """Apply the database migrations (`alembic upgrade head`)."""
    from oyl.runtime import migrations

    runner = migrations(Settings())
    runner.upgrade()
    console.print(f"oyl database at revision {runner.current()}")


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="the platform administrator's email")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
) -> None:
    """Create (or promote) the platform administrator, who manages tenants."""

    async def main() -> uuid.UUID:
        from oyl.runtime import open_oyl

        async with open_oyl(Settings()) as oyl:
            return await oyl.identity.ensure_platform_admin(email, password)

    console.print(f"platform administrator {email} ({asyncio.run(main())})")


@cli.command("create-tenant")
def create_tenant(
    name: str,
    owner_email: Annotated[str, typer.Option(help="the first owner's email")],
    owner_password: Annotated[
        str | None, typer.Option(help="needed when the owner has no account yet")
    ] = None,
) -> None:
    """Create a tenant and its first owner."""
    from oyl.identity.schemas import TenantCreate

    try:
        body = TenantCreate(name=name, owner_email=owner_email, owner_password=owner_password)
    except ValueError as exc:
        fail(str(exc))

    async def main() -> uuid.UUID:
        from oyl.runtime import open_oyl

        async with open_oyl(Settings()) as oyl:
            return (await oyl.identity.create_tenant(body)).id

    try:
        tenant_id = asyncio.run(main())
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"tenant {name!r} created: {tenant_id}")


@cli.command()
def ingest(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, resolve_path=True)],
    knowledge_base: Annotated[uuid.UUID, typer.Option("--knowledge-base", "-k")],
    tenant: Annotated[uuid.UUID, typer.Option("--tenant", "-t")],
) -> None:
    """Ingest every file under DIRECTORY into a knowledge base, here and now (no worker needed),
    with a progress bar; files already there (same content) are skipped."""
    files = sorted(path for path in directory.rglob("*") if path.is_file())
    if not files:
        fail(f"no file in {directory}")
    try:
        counts = asyncio.run(_ingest(files, tenant, knowledge_base))
    except ServiceError as exc:
        fail(exc.message)
    console.print(
        f"{counts['ready']} ingested, {counts['duplicate']} already there, "
        f"{counts['failed']} failed"
    )
    if counts["failed"]:
        raise typer.Exit(1)


async def _ingest(files: list[Path], tenant_id: uuid.UUID, kb_id: uuid.UUID) -> dict[str, int]:
    from oyl.identity.roles import Role
    from oyl.ingestion.pipeline import Ingestion
    from oyl.ingestion.sniffing import SNIFF_BYTES
    from oyl.runtime import open_oyl
    from oyl.tenancy import Caller
    from servicekit.auth import PrincipalKind

    counts = {"ready": 0, "duplicate": 0, "failed": 0}
    caller = Caller(tenant_id, Role.owner, "cli", PrincipalKind.api_key)
    async with open_oyl(Settings()) as oyl:
        resources = oyl.ingest_resources()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            overall = progress.add_task("files", total=len(files))
            for path in files:
                progress.update(overall, description=path.name)
                head = path.open("rb").read(SNIFF_BYTES)
                try:
                    document, duplicate = await oyl.documents.store(
                        caller, kb_id, path.name, head, _read(path, len(head))
                    )
                except ServiceError as exc:
                    progress.console.print(f"  [red]{path.name}: {exc.message}[/red]")
                    counts["failed"] += 1
                    progress.advance(overall)
                    continue
                if duplicate:
                    counts["duplicate"] += 1
                else:
                    try:
                        await asyncio.to_thread(
                            Ingestion(resources, lambda *_: None).run, document.id
                        )
                        counts["ready"] += 1
                    except Exception as exc:
                        progress.console.print(f"  [red]{path.name}: {exc}[/red]")
                        counts["failed"] += 1
                progress.advance(overall)
    return counts


async def _read(path: Path, offset: int) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(offset)
        while chunk := handle.read(1024 * 1024):
            yield chunk


@cli.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(min=1)] = None,
    loglevel: str = "INFO",
) -> None:
    """Run the ingestion worker (same as `celery -A oyl.worker worker`)."""
    from oyl.ingestion.queue import QUEUE
    from oyl.worker import app
    from servicekit.jobs import run_worker

    raise typer.Exit(run_worker(app, queues=[QUEUE], concurrency=concurrency, loglevel=loglevel))
