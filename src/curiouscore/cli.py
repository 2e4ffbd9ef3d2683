"""``suite curiouscore ...``: migrate, seed, create-admin."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from curiouscore.config import Settings
from servicekit.cli import fail, service_cli
from servicekit.errors import ServiceError

if TYPE_CHECKING:
    from curiouscore.challenges.seed import SeedReport

cli = service_cli("CuriousCore: gamified learning with an LLM Game Master.")
console = Console()


@cli.command()
def migrate() -> None:
    """Apply the database migrations (`alembic upgrade head`)."""
    from curiouscore.runtime import migrations

    runner = migrations(Settings())
    runner.upgrade()
    console.print(f"curiouscore database at revision {runner.current()}")


@cli.command()
def seed(
    restore: Annotated[
        bool,
        typer.Option(help="Put edited built-in challenges back to their shipped content."),
    ] = False,
) -> None:
    """Load the built-in challenges (idempotent: re-running changes nothing)."""
    from curiouscore.challenges.seed import seed as load

    async def main() -> SeedReport:
        from curiouscore.runtime import open_curiouscore

        async with open_curiouscore(Settings()) as core:
            return await load(core.db, restore=restore)

    report = asyncio.run(main())
    for title in report.created:
        console.print(f"[green]created[/green] {title}")
    for title in report.updated:
        console.print(f"[yellow]updated[/yellow] {title}")
    for title in report.unchanged:
        console.print(f"unchanged {title}")
    for title in report.kept:
        console.print(f"kept {title} (edited since it was seeded; --restore resets it)")


@cli.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, min=8)
    ],
    username: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create the first admin (or promote an existing account and reset its password)."""
    if len(password) < 8:
        fail("the password needs at least 8 characters")

    async def main() -> str:
        from curiouscore.runtime import open_curiouscore

        async with open_curiouscore(Settings()) as core:
            user = await core.accounts.create_admin(email, password, username)
            return user.email

    try:
        made = asyncio.run(main())
    except (ServiceError, ValueError) as exc:
        fail(getattr(exc, "message", str(exc)))
    console.print(f"admin ready: {made}")
