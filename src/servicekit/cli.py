"""What every service's command line (``suite <service> ...``) shares: logging and failures.

A service CLI is a Typer app whose commands print results on stdout (so exports can be piped)
while logs go to stderr, quiet unless ``LOG_LEVEL`` asks for more. Serving is not here: the suite
has one ``suite serve <service>`` for every service.
"""

from __future__ import annotations

import os
from typing import NoReturn

import typer
from rich.console import Console

from servicekit.logging import configure_logging

_stderr = Console(stderr=True)


def service_cli(help: str) -> typer.Typer:
    """A Typer app for one service, with the logging set-up every command needs."""
    cli = typer.Typer(help=help, no_args_is_help=True)

    @cli.callback()
    def _configure() -> None:
        configure_logging(os.environ.get("LOG_LEVEL", "WARNING"), "console")

    return cli


def fail(message: str) -> NoReturn:
    """Print ``message`` as an error on stderr and exit with status 1."""
    _stderr.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)
