"""``suite modelforge ...``: migrate, create-admin, upload.

Commands work through the same services as the API (``open_modelforge``), so an upload from
the command line is checked, stored and validated exactly like one over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from modelforge.config import Settings
from modelforge.identity.repository import UserRepository
from modelforge.jobs.schemas import JobCreate
from modelforge.jobs.states import JobState
from modelforge.models import JobPriority, Visibility
from modelforge.registry.access import Actor
from modelforge.registry.schemas import ModelCreate
from servicekit.cli import fail, service_cli
from servicekit.errors import ServiceError

cli = service_cli("ModelForge: registry and serving of ONNX models.")
console = Console()
err_console = Console(stderr=True)

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


async def _actor(forge: Any, login: str) -> Actor:
    """The account a command acts as (the CLI runs on the server: it names the account)."""
    async with forge.db.session() as session:
        user = await UserRepository(session).by_login(login)
    if user is None:
        raise ServiceError(f"no account {login!r}; create one with `suite modelforge create-admin`")
    return Actor(user.id, user.is_admin)


def _json_argument(text: str | None, file: Path | None) -> Any:
    """Inputs from ``--input`` (JSON) or ``--input-file`` (JSON, or JSON Lines for a batch)."""
    if (text is None) == (file is None):
        fail("give exactly one of --input and --input-file")
    raw = text if text is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:
        return [json.loads(line) for line in raw.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        fail(f"the input is neither JSON nor JSON Lines: {exc}")


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
            actor = await _actor(forge, owner)
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


@cli.command()
def predict(
    name: Annotated[str, typer.Argument(help="The model's name")],
    user: Annotated[str, typer.Option("--as", help="Login of the account making the call")],
    input: Annotated[str | None, typer.Option(help="JSON, e.g. '{\"X\": [[1, 2, 3, 4]]}'")] = None,
    input_file: Annotated[Path | None, typer.Option(exists=True, dir_okay=False)] = None,
    version: str | None = None,
    alias: str | None = None,
    skip_cache: bool = False,
) -> None:
    """Predict with NAME (latest ready version, or --version / --alias); prints the outputs."""
    from modelforge.runtime import open_modelforge

    payload = _json_argument(input, input_file)

    async def main() -> Any:
        async with open_modelforge(Settings()) as forge:
            actor = await _actor(forge, user)
            model = await forge.registry.resolve_readable_model(
                actor, name=name, version=version, alias=alias
            )
            return model, await forge.predictions.predict(
                actor, model, payload, history_input=payload, skip_cache=skip_cache
            )

    try:
        model, served = asyncio.run(main())
    except ServiceError as exc:
        fail(exc.message)
    err_console.print(
        f"{model.name} {model.version}: {served.outcome.inference_ms:.2f} ms, "
        f"cache {served.outcome.cache}"
    )
    sys.stdout.write(json.dumps(served.outcome.outputs) + "\n")


@cli.command()
def jobs(
    user: Annotated[str, typer.Option("--as", help="Login of the account")],
    submit: Annotated[str | None, typer.Option(help="Submit a job to this model (name)")] = None,
    input: Annotated[str | None, typer.Option(help="JSON input (with --submit)")] = None,
    input_file: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="JSON or JSON Lines")
    ] = None,
    version: str | None = None,
    priority: Annotated[JobPriority, typer.Option()] = JobPriority.normal,
    status: Annotated[JobState | None, typer.Option(help="List only jobs in this state")] = None,
) -> None:
    """List your jobs, or submit one with --submit NAME (a JSON Lines file is a batch)."""
    from modelforge.jobs.router import celery_client
    from modelforge.jobs.service import JobsService
    from modelforge.jobs.states import state_of
    from modelforge.runtime import open_modelforge

    payload = _json_argument(input, input_file) if submit else None

    async def main() -> Any:
        async with open_modelforge(Settings()) as forge:
            actor = await _actor(forge, user)
            service = JobsService(forge.db, forge.registry, celery_client(forge.settings.redis_url))
            if submit:
                model = await forge.registry.resolve_readable_model(
                    actor, name=submit, version=version
                )
                body = JobCreate(model_id=model.id, input_data=payload, priority=priority)
                return [await service.create(actor, body)]
            return (await service.page(actor, status, page=1, page_size=100)).items

    try:
        found = asyncio.run(main())
    except ServiceError as exc:
        fail(exc.message)
    except ValueError as exc:
        fail(str(exc))
    table = Table(title="Jobs")
    for column in ("id", "model", "status", "priority", "created", "inference ms"):
        table.add_column(column)
    for job in found:
        state = state_of(job.status, enqueued=job.celery_task_id is not None)
        ms = f"{job.inference_time_ms:.2f}" if job.inference_time_ms is not None else "-"
        table.add_row(
            str(job.id), str(job.model_id), state.value, job.priority.value,
            f"{job.created_at:%Y-%m-%d %H:%M:%S}", ms,
        )  # fmt: skip
    console.print(table)


if (
    __name__ == "__main__"
):  # `python -m modelforge.cli` until the service is registered in the suite
    cli()
