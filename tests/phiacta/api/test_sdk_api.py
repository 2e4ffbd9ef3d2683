"""The SDK client against the real app: a notes bundle, typed errors, replay, and the
``ingest-notes`` command against a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from phiacta.cli import cli
from phiacta.sdk.client import NotFoundError, PhiactaClient, ValidationError
from phiacta.sdk.extension import QueryRequest, Source
from phiacta.sdk.markdown_notes import parse_notes
from phiacta.sdk.search_extension import SearchExtension
from servicekit.testing.server import serve_in_loop

Headers = dict[str, str]
Factory = Callable[..., Awaitable[Any]]


async def test_client_submits_reads_and_raises_typed_errors(
    phiacta_app: Any, make_agent: Factory, fresh_ns: str
) -> None:
    _, headers = await make_agent(["bundles:write", "claims:read"], "sdk")
    key = headers["Authorization"].removeprefix("Bearer ")
    transport = httpx.ASGITransport(app=phiacta_app[0])
    async with PhiactaClient("http://testserver", key, backoff=(), transport=transport) as client:
        result = parse_notes("- Enzymes speed up reactions\n- Heat denatures enzymes")
        source = Source(source_type="markdown_note", title="enzymes.md")
        first = await client.submit_bundle(result, source, "notes-1", namespace=fresh_ns)
        again = await client.submit_bundle(result, source, "notes-1", namespace=fresh_ns)
        assert (first["status"], again["status"]) == ("accepted", "already_accepted")
        claim = await client.get_claim(first["created_claims"][1]["id"], include=["edges"])
        assert claim["edges"][0]["edge_type"] == "related_to"
        with pytest.raises(NotFoundError) as missing:
            await client.get_claim("00000000-0000-0000-0000-000000000000")
        assert missing.value.code == "CLAIM_NOT_FOUND" and missing.value.request_id
        with pytest.raises(ValidationError):
            await client.submit_bundle(result, source, "notes-2", namespace=f"{fresh_ns}.nope")


async def test_ingest_notes_command(
    phiacta_app: Any, make_agent: Factory, fresh_ns: str, tmp_path: Path
) -> None:
    _, headers = await make_agent(["bundles:write"], "cli")
    notes = tmp_path / "notes.md"
    notes.write_text("- CLAIM[observation]: Bees dance to share directions\n- Dances encode angle")
    async with serve_in_loop(phiacta_app[0], lifespan="off") as url:
        args = [
            "ingest-notes", str(notes), "--namespace", f"{fresh_ns}.bees", "--url", url,
            "--api-key", headers["Authorization"].removeprefix("Bearer "),
        ]  # fmt: skip
        result = await asyncio.to_thread(CliRunner().invoke, cli, args)
    assert result.exit_code == 0, result.output
    assert "(accepted): 2 claims" in result.stdout


async def test_the_search_output_extension_answers_from_the_graph(
    phiacta_app: Any, make_agent: Factory, fresh_ns: str
) -> None:
    _, headers = await make_agent(["bundles:write", "claims:read", "search:read"], "out")
    key = headers["Authorization"].removeprefix("Bearer ")
    transport = httpx.ASGITransport(app=phiacta_app[0])
    async with PhiactaClient("http://testserver", key, backoff=(), transport=transport) as client:
        notes = parse_notes("- Mitochondria produce ATP\n- Ribosomes build proteins")
        source = Source(source_type="markdown_note", title="cells.md")
        await client.submit_bundle(notes, source, "cells-1", namespace=fresh_ns)
        extension = SearchExtension(client)
        answer = await extension.query(
            QueryRequest(
                query="mitochondria", top_k=5, filters={"namespace_prefix": fresh_ns},
                include=["edges"],
            )
        )  # fmt: skip
    assert answer.total_matches >= 1
    top = answer.results[0]
    assert top["content"] == "Mitochondria produce ATP"
    assert "<em>" in top["highlight"]
    assert [edge["edge_type"] for edge in top["edges"]] == ["related_to"]
