"""Answers streamed token by token over Server-Sent Events, through the real HTTP stack (uvicorn
and httpx: the in-process transport would buffer whole responses): order of the events, tokens
adding up to the answer, citations and usage as without streaming, errors midway, a client that
goes away, and tenants kept apart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from oyl.config import Settings
from oyl.main import build_app
from servicekit.llm import BreaksOff, LLMUnavailable
from servicekit.testing.jobs import WorkerProcess
from servicekit.testing.server import serve_in_loop

from .test_answers import POLICY, ask

V1 = "/api/v1"
QUESTION = "How many days do I have to return an item?"

Event = tuple[str, dict[str, Any]]


@pytest.fixture(autouse=True)
def _worker(worker: WorkerProcess) -> WorkerProcess:
    return worker


@pytest.fixture(scope="module")
async def http(oyl_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app behind a real server; the module's streams go through it."""
    async with (
        serve_in_loop(build_app(oyl_settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
    ):
        yield http


@pytest.fixture
async def helpdesk(api: Any) -> dict[str, Any]:
    tenant = await api.tenant()
    tree = await api.tree(tenant)
    document = await api.ingested(tenant.owner, tree.kb, "policy.md", POLICY.encode())
    assert document["status"] == "ready"
    return {"tenant": tenant, "tree": tree, "document": document}


def parse(block: str) -> Event | None:
    fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
    if "event" not in fields:
        return None  # a comment (ping)
    return fields["event"], json.loads(fields["data"])


async def events_of(response: httpx.Response) -> list[Event]:
    """Every event of a streamed response, read as they arrive."""
    events, buffer = [], ""
    async for text in response.aiter_text():
        buffer += text.replace("\r\n", "\n")
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            if (event := parse(block)) is not None:
                events.append(event)
    return events


def open_stream(
    http: httpx.AsyncClient, headers: dict[str, str], teammate: str, **body: Any
) -> AbstractAsyncContextManager[httpx.Response]:
    return http.stream(
        "POST", f"{V1}/teammates/{teammate}/query", json={**body, "stream": True}, headers=headers
    )


async def streamed(
    http: httpx.AsyncClient, headers: dict[str, str], teammate: str, **body: Any
) -> list[Event]:
    async with open_stream(http, headers, teammate, **body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return await events_of(response)


async def test_tokens_come_first_then_citations_usage_and_done(
    http: httpx.AsyncClient, client: httpx.AsyncClient, helpdesk: dict[str, Any]
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]

    events = await streamed(http, tenant.owner, tree.teammate, query=QUESTION)
    whole = (await ask(client, tenant.owner, tree.teammate, query=QUESTION)).json()

    names = [name for name, _ in events]
    tokens = [data for name, data in events if name == "token"]
    assert len(tokens) > 3  # word by word, not the answer in one piece
    assert names == ["token"] * len(tokens) + ["assistant", "citations", "usage", "done"]
    assert {t["assistant_id"] for t in tokens} == {tree.assistant}
    done = events[-1][1]
    # The tokens add up to the answer, which is the one a non-streamed question gets.
    assert "".join(t["text"] for t in tokens) == done["answer"] == whole["answer"]
    assert "30 days" in done["answer"] and done["found"] is True
    # Citations are parsed from the complete reply, exactly as without streaming.
    citations = events[-3][1]["citations"]
    assert citations == done["citations"] == whole["citations"]
    assert citations[0]["document_id"] == helpdesk["document"]["id"]
    assert citations[0]["n"] == 1 and "30 days" in citations[0]["snippet"]
    assert events[-2][1] == done["usage"] == whole["usage"]
    assert done["usage"]["completion_tokens"] > 0
    assert events[-4][1]["assistant_name"] == "Librarian"

    # The streamed answer is kept in its conversation like any other.
    conversation = (
        await client.get(f"{V1}/conversations/{done['conversation_id']}", headers=tenant.owner)
    ).json()
    [question, answer] = conversation["messages"]
    assert question["content"] == QUESTION
    assert (answer["id"], answer["content"]) == (done["message_id"], done["answer"])


async def test_streamed_tokens_count_against_the_usage(
    http: httpx.AsyncClient, client: httpx.AsyncClient, helpdesk: dict[str, Any]
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    before = (await client.get(f"{V1}/usage", headers=tenant.owner)).json()["tokens_today"]

    events = await streamed(http, tenant.owner, tree.teammate, query=QUESTION)

    usage = events[-1][1]["usage"]
    after = (await client.get(f"{V1}/usage", headers=tenant.owner)).json()["tokens_today"]
    assert after - before == usage["prompt_tokens"] + usage["completion_tokens"] > 0


async def test_reasoning_never_leaks_into_the_tokens(
    http: httpx.AsyncClient, helpdesk: dict[str, Any]
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]

    hidden = await streamed(http, tenant.owner, tree.teammate, query=QUESTION, mode="reasoning")
    shown = await streamed(
        http,
        tenant.owner,
        tree.teammate,
        query=QUESTION,
        mode="reasoning",
        include_reasoning=True,
    )

    for events in (hidden, shown):
        text = "".join(data["text"] for name, data in events if name == "token")
        assert "think" not in text.lower() and "Looking for" not in text
        assert text == events[-1][1]["answer"]
    assert "reasoning" not in [name for name, _ in hidden]
    thoughts = "".join(data["text"] for name, data in shown if name == "reasoning")
    assert thoughts == "Looking for the block that answers."
    assert shown[-1][1]["reasoning"] == thoughts


async def test_a_model_failing_midway_ends_with_an_error_event_not_an_answer(
    http: httpx.AsyncClient,
    client: httpx.AsyncClient,
    api: Any,
    helpdesk: dict[str, Any],
    llm_script: Any,
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    llm_script(
        "oyl-breaking", [BreaksOff("Customers may return", LLMUnavailable("connection reset"))]
    )
    await client.patch(
        f"{V1}/assistants/{tree.assistant}",
        json={"model": "scripted/oyl-breaking"},
        headers=tenant.owner,
    )

    events = await streamed(http, tenant.owner, tree.teammate, query=QUESTION)

    names = [name for name, _ in events]
    assert names == ["token", "token", "token", "error"]
    assert "".join(data["text"] for name, data in events if name == "token") == (
        "Customers may return"
    )
    error = events[-1][1]
    assert error["status"] == 503
    assert error["error"]["code"] == "llm_unavailable"
    assert "connection reset" in error["error"]["message"]
    # The half answer was not recorded as an answer either.
    conversations = (await client.get(f"{V1}/conversations", headers=tenant.owner)).json()
    for item in conversations["items"]:
        detail = (await client.get(f"{V1}/conversations/{item['id']}", headers=tenant.owner)).json()
        assert all(m["role"] != "assistant" for m in detail["messages"])


async def test_a_client_that_goes_away_stops_the_generation(
    http: httpx.AsyncClient, client: httpx.AsyncClient, helpdesk: dict[str, Any], llm_script: Any
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    # The model sends a few words, then keeps generating until someone stops it.
    endless = llm_script("oyl-endless", [BreaksOff("Customers may return items")])
    await client.patch(
        f"{V1}/assistants/{tree.assistant}",
        json={"model": "scripted/oyl-endless"},
        headers=tenant.owner,
    )

    received: list[Event] = []
    async with open_stream(http, tenant.owner, tree.teammate, query=QUESTION) as response:
        buffer = ""
        # The tokens arrive while the model is still generating: they are not held back.
        async for text in response.aiter_text():
            buffer += text.replace("\r\n", "\n")
            *blocks, buffer = buffer.split("\n\n")
            received += [event for block in blocks if (event := parse(block)) is not None]
            if "".join(d["text"] for _, d in received) == "Customers may return items":
                break

    # Leaving the block closed the connection; the server then closes the model's stream.
    async with asyncio.timeout(10):
        while endless.abandoned == 0:  # noqa: ASYNC110 (a counter of the provider, no event)
            await asyncio.sleep(0.05)
    assert [name for name, _ in received] == ["token"] * 4


async def test_a_streamed_answer_uses_only_the_askers_tenant(
    http: httpx.AsyncClient, api: Any, helpdesk: dict[str, Any]
) -> None:
    other = await api.tenant()
    tree = await api.tree(other)
    secret = "# Refunds\n\nAt Globex, refunds are possible within 90 days of delivery.\n"
    document = await api.ingested(other.owner, tree.kb, "globex.md", secret.encode())

    events = await streamed(http, other.owner, tree.teammate, query=QUESTION)

    done = events[-1][1]
    assert "90 days" in done["answer"] and "30 days" not in done["answer"]
    assert {c["document_id"] for c in done["citations"]} == {document["id"]}
    # And the other tenant cannot stream from this teammate at all.
    async with open_stream(
        http, other.owner, helpdesk["tree"].teammate, query=QUESTION
    ) as response:
        assert response.status_code == 404
        assert (await response.aread()).decode().startswith('{"error"')
