"""``suite modelforge ...``: migrate, create-admin, upload.

Commands work through the same services as the API (``open_modelforge``), so an upload from
the command line is checked, stored and validated exactly like one over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from modelforge.config import Settings
from modelforge.identity.repository import UserRepository
from modelforge.models import Visibility
from modelforge.registry.access import Actor
from modelforge.registry.schemas import ModelCreate
from servicekit.cli import fail, service_cli
from servicekit.errors import ServiceError

cli = service_cli("ModelForge: registry and serving of ONNX models.")
console = Console()

_CHUNK = 1024 * 1024


@cli.command()
def migrate() -> None:
    """Apply the database migrations (`alembic upgrade head`)."""
    from modelforge.runtime import migrations

    runner = migrations(Settings())
    runner.upgrade()
    console.print(f"modelforge database at revision {runner.current()}")


@cli.command("create-admin")
def create_admin(
    login: str,
    password: Annotated[
        str | None,
        typer.Option(help="Set (or, for a new account, create with) this password; prompted "
                     "when omitted and the account does not exist yet"),
    ] = None,
) -> None:  # fmt: skip
    """Create an admin account, or make an existing account (GitHub or local) an admin."""
    from modelforge.runtime import open_modelforge

    async def main(secret: str | None) -> Any:
        async with open_modelforge(Settings()) as forge:
            async with forge.db.session() as session:
                exists = await UserRepository(session).by_login(login) is not None
            if not exists and secret is None:
                secret = typer.prompt("password", hide_input=True, confirmation_prompt=True)
            return await forge.identity.set_admin(login, secret)

    try:
        user = asyncio.run(main(password))
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"{user.login} is an admin ({user.id})")


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, _CHUNK):
            yield chunk


@cli.command()
def upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, resolve_path=True)],
    name: Annotated[str, typer.Option(help="The model's name")],
    owner: Annotated[str, typer.Option(help="Login of the account that will own the model")],
    version: Annotated[str, typer.Option(help="Its version (Semantic Versioning)")] = "1.0.0",
    description: str | None = None,
    public: Annotated[bool, typer.Option(help="Visible to every signed-in user")] = False,
    validate: Annotated[bool, typer.Option(help="Validate after uploading")] = True,
) -> None:
    """Register FILE (.onnx) as NAME VERSION, upload it and validate it.

    A scikit-learn model must be converted first (pickles are never loaded):
    `skl2onnx.to_onnx(model, X[:1].astype("float32"))`.
    """
    from modelforge.runtime import open_modelforge

    async def main() -> Any:
        async with open_modelforge(Settings()) as forge:
            async with forge.db.session() as session:
                user = await UserRepository(session).by_login(owner)
            if user is None:
                raise ServiceError(f"no account {owner!r}")
            actor = Actor(user.id, user.is_admin)
            visibility = Visibility.public if public else Visibility.private
            data = ModelCreate(
                name=name, version=version, description=description, visibility=visibility
            )
            model = await forge.registry.create(actor, data)
            try:
                model = await forge.registry.upload(actor, model.id, file.name, _file_chunks(file))
            except ServiceError:
                await forge.registry.delete(actor, model.id)  # leave no half-created record
                raise
            if validate:
                model = await forge.registry.validate(actor, model.id)
            return model

    try:
        model = asyncio.run(main())
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"{model.name} {model.version}: {model.status.value} ({model.id})")
    for spec in model.input_schema or []:
        console.print(f"  input  {spec['name']}: {spec['dtype']} {spec['shape']}")
    for spec in model.output_schema or []:
        console.print(f"  output {spec['name']}: {spec['dtype']} {spec['shape']}")
