"""``suite phiacta ...``: migrate, create-agent, verify-audit, maintain, ingest-notes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from phiacta.config import Settings
from servicekit.cli import fail, service_cli

cli = service_cli("Phiacta: the knowledge backend of versioned claims.")
console = Console()
err = Console(stderr=True)


@cli.command()
def migrate() -> None:
    """Apply the database migrations (`alembic upgrade head`); production runs this as a step."""
    from phiacta.migrations_runner import PhiactaMigrations
    from servicekit.embedded import database_url

    settings = Settings()
    runner = PhiactaMigrations(
        database_url("phiacta", settings.database_url),
        embedding_dimensions=settings.effective_embedding_dimensions,
    )
    runner.upgrade()
    console.print(f"phiacta database at revision {runner.current()}")


@cli.command("create-agent")
def create_agent(
    name: Annotated[str, typer.Option(help="The agent's display name.")],
    agent_type: Annotated[
        str, typer.Option("--type", help="human, ai, organization, pipeline or extension")
    ] = "human",
    scopes: Annotated[
        list[str] | None, typer.Option("--scope", help="Repeat for each scope (default: admin).")
    ] = None,
    external_id: str | None = None,
) -> None:
    """Create an agent and print its API key, which is shown this once (the bootstrap admin)."""
    from pydantic import ValidationError

    from phiacta.agents.schemas import AgentCreate
    from phiacta.agents.service import create_agent as create
    from phiacta.runtime import open_phiacta

    try:
        data = AgentCreate(
            name=name,
            agent_type=agent_type,  # type: ignore[arg-type]
            external_id=external_id,
            scopes=scopes or ["admin"],
        )
    except ValidationError as exc:
        fail(exc.errors()[0]["msg"])

    async def main() -> tuple[str, str, list[str]]:
        async with open_phiacta(Settings()) as phiacta, phiacta.db.session() as session:
            created = await create(session, phiacta.api_keys, data, None)
            assert created.key is not None
            return str(created.agent.id), created.key.api_key, created.key.scopes

    agent_id, key, granted = asyncio.run(main())
    err.print(f"agent {agent_id} created with scopes {', '.join(granted)}; the key (shown once):")
    console.print(key, highlight=False, soft_wrap=True)


@cli.command("verify-audit")
def verify_audit() -> None:
    """Check the audit log's hash chain; exit 1 naming the first entry that does not verify."""
    from phiacta.audit.repository import verify
    from phiacta.runtime import open_phiacta

    async def main() -> int | None:
        async with open_phiacta(Settings()) as phiacta, phiacta.db.session() as session:
            return await verify(session)

    broken = asyncio.run(main())
    if broken is not None:
        err.print(f"[red]audit chain broken at entry {broken}[/red]")
        raise typer.Exit(1)
    console.print("audit chain verified")


@cli.command()
def maintain() -> None:
    """Embed claims lacking a current vector (re-learning the vector index's lists when many
    changed); expire old pending references and stored bundle answers. Safe to run at any time
    (e.g. hourly from cron)."""
    from datetime import UTC, datetime, timedelta

    from phiacta.maintenance.service import expire, reembed
    from phiacta.runtime import open_phiacta

    async def main() -> tuple[int, bool, int, int]:
        settings = Settings()
        async with open_phiacta(settings) as phiacta:
            embedded = await reembed(phiacta.db, phiacta.embedder)
            relearned = await phiacta.vectors.vectors_rewritten(embedded) is not None
            expired = await expire(
                phiacta.db,
                datetime.now(UTC),
                pending_ttl=timedelta(days=settings.pending_ref_ttl_days),
            )
        return embedded, relearned, expired.pending_references, expired.bundle_responses

    embedded, relearned, refs, answers = asyncio.run(main())
    console.print(
        f"embedded {embedded} claims{' (vector index re-learned)' if relearned else ''}; "
        f"expired {refs} pending references, {answers} stored answers"
    )


@cli.command("ingest-notes")
def ingest_notes(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    namespace: Annotated[str, typer.Option(help="Namespace path of the claims.")] = "notes",
    url: Annotated[
        str, typer.Option(envvar=["NEWPUB_BACKEND_URL", "PHIACTA_URL"], help="The API's base URL.")
    ] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str, typer.Option(envvar=["NEWPUB_API_KEY", "PHIACTA_API_KEY"], help="A bundles:write key.")
    ] = "",
    create_namespace: bool = True,
) -> None:
    """Turn a Markdown notes file into a bundle and submit it (the reference input extension).

    Resubmitting the same file is a replay, not a duplicate: the idempotency key is its hash.
    """
    import hashlib

    from phiacta.sdk.client import PhiactaClient, PhiactaError
    from phiacta.sdk.extension import Source
    from phiacta.sdk.markdown_notes import MarkdownNotesExtension

    if not api_key:
        fail("give --api-key (or NEWPUB_API_KEY)")
    content = file.read_text(encoding="utf-8")
    digest = hashlib.sha256(content.encode()).hexdigest()
    source = Source(source_type="markdown_note", title=file.name, content_hash=f"sha256:{digest}")
    extension = MarkdownNotesExtension()

    async def main() -> dict[str, object]:
        result = await extension.ingest(source, content)
        for warning in await extension.validate(result):
            err.print(f"[yellow]warning:[/yellow] {warning}")
        if not result.claims:
            raise typer.Exit(1)
        async with PhiactaClient(url, api_key) as client:
            return await client.submit_bundle(
                result,
                source,
                f"notes-sha256-{digest}",
                namespace=namespace,
                create_namespace=create_namespace,
            )

    try:
        answer = asyncio.run(main())
    except PhiactaError as exc:
        fail(str(exc))
    claims = answer["created_claims"]
    assert isinstance(claims, list)
    console.print(f"bundle {answer['bundle_id']} ({answer['status']}): {len(claims)} claims")


if __name__ == "__main__":  # `python -m phiacta.cli` until the service is registered in the suite
    cli()
