"""The ``suite`` command: run, migrate and inspect the five services."""

from __future__ import annotations

import os
import signal
from typing import Annotated

import typer
from rich.console import Console

from servicekit import service as services
from servicekit.config import suite_home

console = Console(stderr=True)
app = typer.Typer(
    name="suite",
    help="Run the AI service suite: `suite up` starts everything with no configuration.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def _spec_or_exit(name: str) -> services.ServiceSpec:
    try:
        return services.get(name)
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the whole suite.")] = 8000,
    worker: Annotated[bool, typer.Option(help="Start the Celery workers.")] = True,
    seed: Annotated[bool, typer.Option(help="Load the demo and reference data.")] = True,
) -> None:
    """Start every service under one port, with embedded PostgreSQL and Redis by default."""
    from suite.up import run_up

    run_up(host=host, port=port, start_workers=worker, seed=seed)


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="Service name, e.g. galileo.")],
    host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(envvar="PORT", help="Default: the guide's.")] = None,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve one service alone at the root paths of its guide, configured by its env vars."""
    import uvicorn

    spec = _spec_or_exit(service)
    uvicorn.run(
        f"{spec.package}.main:app",
        host=host,
        port=port or spec.default_port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_config=None,
    )


@app.command()
def worker(
    service: Annotated[str, typer.Argument(help="Service whose background jobs to run.")],
    concurrency: Annotated[int, typer.Option(help="Parallel tasks.")] = 1,
    loglevel: Annotated[str, typer.Option()] = "INFO",
) -> None:
    """Run a service's Celery worker (the embedded Redis is the broker unless REDIS_URL is set)."""
    from importlib import import_module

    from servicekit.jobs import run_worker

    spec = _spec_or_exit(service)
    if not spec.celery_app:
        console.print(f"[yellow]{service} has no background jobs; nothing to run.[/yellow]")
        raise typer.Exit(0)
    module, _, attribute = spec.celery_app.partition(":")
    celery_app = getattr(import_module(module), attribute)
    run_worker(
        celery_app,
        queues=list(spec.worker_queues) or None,
        concurrency=concurrency,
        loglevel=loglevel,
    )


@app.command()
def migrate(
    service: Annotated[str, typer.Argument(help="Service whose database to migrate.")],
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    downgrade: Annotated[bool, typer.Option(help="Downgrade to --revision instead.")] = False,
) -> None:
    """Apply a service's Alembic migrations to its database (DATABASE_URL or the embedded one)."""
    from servicekit.db import Migrations
    from servicekit.embedded import database_url

    spec = _spec_or_exit(service)
    if not spec.migrations_package:
        console.print(f"{service} has no database migrations.")
        return
    with console.status(f"Migrating {service} to {revision}..."):
        url = database_url(spec.name, os.environ.get("DATABASE_URL"))
        runner = Migrations(spec.migrations_package, url)
        if downgrade:
            runner.downgrade(revision)
        else:
            runner.upgrade(revision)
        current = runner.current()
    console.print(f"[green]{service}[/green] database at revision [bold]{current or 'base'}[/bold]")


@app.command()
def doctor() -> None:
    """Say what is configured, what is missing, and how to fix it."""
    from suite.doctor import run_doctor

    raise typer.Exit(run_doctor(console))


@app.command()
def home() -> None:
    """Print the data directory (SUITE_HOME) the embedded servers and models use."""
    typer.echo(str(suite_home()))


def _add_service_commands() -> None:
    for spec in services.discover():
        if spec.cli is not None:
            app.add_typer(spec.cli, name=spec.name, help=f"{spec.title}: {spec.description}")


def main() -> None:
    # A second Ctrl-C while shutting down should not dump a traceback.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    _add_service_commands()
    app()
