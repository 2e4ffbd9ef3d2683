"""``suite galileo ...``: migrate, import datasets, run evaluations headless, export."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from galileo_arena.config import Settings
from galileo_arena.ml.errors import MLModelsMissing
from galileo_arena.runs.schemas import ModelSpec, RunCreate
from servicekit.cli import fail, service_cli
from servicekit.errors import ServiceError
from servicekit.events import Event

cli = service_cli("Galileo Arena: adversarial-debate evaluation of LLMs.")
console = Console()
err = Console(stderr=True)


@cli.command()
def migrate() -> None:
    """Apply the database migrations (`alembic upgrade head`)."""
    from galileo_arena.runtime import migrations

    runner = migrations(Settings())
    runner.upgrade()
    console.print(f"galileo database at revision {runner.current()}")


@cli.command("import")
def import_datasets(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, resolve_path=True)],
) -> None:
    """Load every dataset file of DIRECTORY (upstream format; the highest _vN file per name)."""

    async def main() -> Any:
        settings = Settings(ml_scoring_enabled=False)
        from galileo_arena.runtime import open_galileo

        async with open_galileo(settings, background=False) as galileo:
            return await galileo.datasets.sync_directory(directory, source="dir")

    report = asyncio.run(main())
    for dataset_id in report.loaded:
        console.print(f"[green]loaded[/green] {dataset_id}")
    for dataset_id in report.unchanged:
        console.print(f"unchanged {dataset_id}")
    for error in report.errors:
        err.print(f"[red]rejected[/red] {error}")
    if report.errors:
        raise typer.Exit(1)
    if not report.loaded and not report.unchanged:
        fail(f"no dataset file (*.json) in {directory}")


@cli.command("prepare-models")
def prepare_models(
    output_dir: Annotated[Path | None, typer.Option(help="default: ML_MODELS_DIR")] = None,
) -> None:
    """Write the offline half of the ML scoring models (sentence embeddings from MiniLM).

    The NLI half needs the dev-only export script (`python -m scripts.export_onnx_models`).
    """
    from galileo_arena.ml.local_models import prepare_local_models

    target = output_dir or Settings().ml_models_dir
    with console.status(f"Preparing the embedding model in {target}..."):
        path = prepare_local_models(target)
    console.print(f"ML models ready in {path} (embedding half; NLI needs the export script)")


@cli.command()
def run(
    dataset: Annotated[str, typer.Option(help="dataset id, e.g. climate_v1")],
    model: Annotated[list[str], typer.Option(help="provider/model_name; repeat for several")],
    cases: Annotated[
        str | None, typer.Option(help="comma-separated case ids (default: all)")
    ] = None,
    judge: Annotated[str | None, typer.Option(help="an independent judge model")] = None,
    concurrency: Annotated[int, typer.Option(min=1)] = 2,
) -> None:
    """Evaluate models on a dataset here and now, with a live progress bar and a final table."""
    try:
        request = RunCreate(
            dataset_id=dataset,
            case_ids=[c.strip() for c in cases.split(",") if c.strip()] if cases else None,
            models=[ModelSpec.model_validate(m) for m in model],
            judge_model=ModelSpec.model_validate(judge) if judge else None,
            concurrency=concurrency,
        )
    except ValueError as exc:
        fail(str(exc))
    try:
        summary = asyncio.run(_run(request))
    except ServiceError as exc:
        fail(exc.message)
    except MLModelsMissing as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; the run resumes when the service (or this command) runs again")
    _print_summary(summary)


async def _run(request: RunCreate) -> Any:
    from galileo_arena.runtime import open_galileo

    async with open_galileo(Settings(), background=False) as galileo:
        created = await galileo.runs.create(request)
        total = created.total_cases * len(request.models)
        console.print(
            f"run {created.run_id}: {created.total_cases} case(s) x {len(request.models)} model(s)"
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("debating", total=total)

            def on_event(event: Event) -> None:
                data = event.data
                if event.type == "case_phase_started":
                    progress.update(
                        task, description=f"{data['case_id']} {data['model_key']}: {data['phase']}"
                    )
                elif event.type == "metrics_update":
                    progress.update(task, completed=data["completed"])
                elif event.type == "case_scored":
                    mark = "[green]PASS[/green]" if data["passed"] else "[red]FAIL[/red]"
                    progress.console.print(
                        f"  {data['case_id']} {data['model_key']}: {data['score']} {mark} "
                        f"({data['verdict']} vs {data['label']})"
                    )
                elif event.type == "case_error":
                    progress.console.print(
                        f"  [red]{data['case_id']} {data['model_key']}: {data['error']}[/red]"
                    )

            galileo.executor.listeners.append(on_event)
            await galileo.executor.run_now(created.run_id)
        return await galileo.runs.summary(created.run_id)


def _print_summary(summary: Any) -> None:
    table = Table(title=f"Run {summary.run_id}: {summary.status}")
    for column in (
        "model",
        "cases",
        "passed",
        "pass rate",
        "avg score",
        "critical",
        "cost $",
        "eval",
    ):
        table.add_column(column)
    for m in summary.models:
        table.add_row(
            m["model_key"],
            str(m["total_cases"]),
            str(m["passed_cases"]),
            f"{m['pass_rate']:.0%}",
            f"{m['avg_score']:.1f}",
            str(m["critical_fails"]),
            f"{m['total_cost']:.4f}",
            "[green]PASS[/green]" if m["model_passes_eval"] else "[red]FAIL[/red]",
        )
    console.print(table)


@cli.command()
def export(
    run_id: str,
    format: Annotated[str, typer.Option("--format", "-f", help="csv, json or jsonl")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Write a run's results as CSV, JSON or JSONL (to stdout by default)."""

    async def main() -> str:
        from galileo_arena.runtime import open_galileo

        settings = Settings(ml_scoring_enabled=False)
        async with open_galileo(settings, background=False) as galileo:
            body, _ = await galileo.runs.export(run_id, format)
            return body

    try:
        body = asyncio.run(main())
    except ServiceError as exc:
        fail(exc.message)
    if output is None:
        sys.stdout.write(body)
    else:
        output.write_text(body, encoding="utf-8")
        console.print(f"wrote {output}")
