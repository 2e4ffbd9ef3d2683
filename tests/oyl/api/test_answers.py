"""Questions to teammates: grounded, cited answers; "not found"; modes; conversations and
feedback; orchestration across assistants. Streamed answers: test_answer_streaming.py."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from servicekit.llm import LLMUnavailable, Message
from servicekit.testing.jobs import WorkerProcess

V1 = "/api/v1"

POLICY = """# Refunds

Customers may return any item within 30 days of delivery for a full refund.

# Shipping

Standard shipping takes three to five business days within the European Union.
"""

ENGINES = """# Engines

The pump engine must be serviced every 500 operating hours by a certified technician.
"""


@pytest.fixture(autouse=True)
def _worker(worker: WorkerProcess) -> WorkerProcess:
    return worker


@pytest.fixture
async def helpdesk(api: Any) -> dict[str, Any]:
    """A tenant whose assistant knows the refund policy."""
    tenant = await api.tenant()
    tree = await api.tree(tenant, instruction="You are the helpdesk of Acme. Be polite.")
    document = await api.ingested(tenant.owner, tree.kb, "policy.md", POLICY.encode())
    assert document["status"] == "ready"
    return {"tenant": tenant, "tree": tree, "document": document}


async def ask(client: httpx.AsyncClient, headers: dict[str, str], teammate: str, **body: Any):
    return await client.post(f"{V1}/teammates/{teammate}/query", json=body, headers=headers)


async def test_answer_is_grounded_and_cited(
    client: httpx.AsyncClient, helpdesk: dict[str, Any], llm_script: Any
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    response = await ask(
        client, tenant.owner, tree.teammate, query="How many days do I have to return an item?"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["found"] is True and body["mode"] == "fast"
    assert "30 days" in body["answer"] and "[1]" in body["answer"]
    citation = body["citations"][0]
    assert citation["n"] == 1
    assert citation["document_id"] == helpdesk["document"]["id"]
    assert citation["document_name"] == "policy.md"
    assert citation["page"] == 1 and "30 days" in citation["snippet"]
    assert set(citation) == {
        "n",
        "document_id",
        "document_name",
        "page",
        "chunk_id",
        "snippet",
        "score",
    }
    assert "/" not in citation["document_name"]  # never a server path
    assert body["assistants"][0]["assistant_name"] == "Librarian"
    assert body["reasoning"] is None
    assert body["usage"]["prompt_tokens"] > 0


async def test_the_instruction_is_the_system_prompt(
    client: httpx.AsyncClient, api: Any, helpdesk: dict[str, Any], llm_script: Any
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    seen: list[list[Message]] = []

    def reply(messages: list[Message]) -> str:
        seen.append(messages)
        return "Within 30 days [1]."

    llm_script("oyl-instructed", reply)
    await client.patch(
        f"{V1}/assistants/{tree.assistant}",
        json={"model": "scripted/oyl-instructed"},
        headers=tenant.owner,
    )
    response = await ask(client, tenant.owner, tree.teammate, query="What is the refund window?")
    assert response.status_code == 200
    system, user = seen[0][0], seen[0][-1]
    assert system == {"role": "system", "content": "You are the helpdesk of Acme. Be polite."}
    assert "[1] (policy.md, page 1)" in user["content"]
    assert "Question: What is the refund window?" in user["content"]


async def test_nothing_relevant_is_not_found_without_a_model_call(
    client: httpx.AsyncClient, helpdesk: dict[str, Any], llm_script: Any
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    silent = llm_script("oyl-silent", [])
    await client.patch(
        f"{V1}/assistants/{tree.assistant}",
        json={"model": "scripted/oyl-silent"},
        headers=tenant.owner,
    )
    response = await ask(
        client, tenant.owner, tree.teammate, query="Who won the 1998 football world cup?"
    )
    body = response.json()
    assert response.status_code == 200
    assert body["found"] is False and body["citations"] == []
    assert body["answer"] == "I could not find this in the knowledge base."
    assert silent.calls == []


async def test_modes_and_reasoning_traces(
    client: httpx.AsyncClient, helpdesk: dict[str, Any]
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    bad = await ask(client, tenant.owner, tree.teammate, query="refunds?", mode="creative")
    assert bad.status_code == 422
    hidden = await ask(
        client,
        tenant.owner,
        tree.teammate,
        query="How long does standard shipping take?",
        mode="reasoning",
    )
    body = hidden.json()
    assert body["mode"] == "reasoning" and "<think>" not in body["answer"]
    assert body["reasoning"] is None and "business days" in body["answer"]
    shown = await ask(
        client,
        tenant.owner,
        tree.teammate,
        query="How long does standard shipping take?",
        mode="reasoning",
        include_reasoning=True,
    )
    assert shown.json()["reasoning"] == "Looking for the block that answers."


async def test_conversations_keep_history_and_feedback(
    client: httpx.AsyncClient, api: Any, helpdesk: dict[str, Any], llm_script: Any
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    first = (
        await ask(client, tenant.owner, tree.teammate, query="What is the refund window?")
    ).json()
    conversation = first["conversation_id"]
    model = llm_script("oyl-history", ["Three to five business days [1]."])
    await client.patch(
        f"{V1}/assistants/{tree.assistant}",
        json={"model": "scripted/oyl-history"},
        headers=tenant.owner,
    )
    second = await ask(
        client,
        tenant.owner,
        tree.teammate,
        query="And how long is shipping?",
        conversation_id=conversation,
    )
    assert second.status_code == 200 and second.json()["conversation_id"] == conversation
    history = model.calls[0][1:-1]
    assert history == [
        {"role": "user", "content": "What is the refund window?"},
        {"role": "assistant", "content": first["answer"]},
    ]
    detail = (await client.get(f"{V1}/conversations/{conversation}", headers=tenant.owner)).json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]
    assert detail["messages"][1]["citations"][0]["document_name"] == "policy.md"

    feedback = await client.put(
        f"{V1}/messages/{first['message_id']}/feedback",
        json={"rating": "up", "comment": "clear"},
        headers=tenant.owner,
    )
    assert feedback.status_code == 200 and feedback.json()["rating"] == "up"
    changed = await client.put(
        f"{V1}/messages/{first['message_id']}/feedback",
        json={"rating": "down"},
        headers=tenant.owner,
    )
    assert changed.json()["rating"] == "down"
    bad = await client.put(
        f"{V1}/messages/{first['message_id']}/feedback",
        json={"rating": "meh"},
        headers=tenant.owner,
    )
    assert bad.status_code == 422

    # Conversations are personal: another member of the same tenant does not see them.
    colleague = await api.member(tenant, "member")
    assert (
        await client.get(f"{V1}/conversations/{conversation}", headers=colleague)
    ).status_code == 404
    listed = (await client.get(f"{V1}/conversations", headers=colleague)).json()
    assert listed["total"] == 0
    mine = (await client.get(f"{V1}/conversations", headers=tenant.owner)).json()
    assert [c["id"] for c in mine["items"]] == [conversation]
    viewer = await api.member(tenant, "viewer")
    assert (await ask(client, viewer, tree.teammate, query="refund?")).status_code == 403


async def test_orchestration_strategies(
    client: httpx.AsyncClient, api: Any, llm_script: Any
) -> None:
    tenant = await api.tenant()
    h = tenant.owner
    tree = await api.tree(tenant)
    await api.ingested(h, tree.kb, "policy.md", POLICY.encode())
    engines_kb = await api.post(
        f"{V1}/workspaces/{tree.workspace}/knowledge-bases", h, name="Engines"
    )
    await api.ingested(h, engines_kb["id"], "engines.md", ENGINES.encode())
    mechanic = await api.post(
        f"{V1}/teammates/{tree.teammate}/assistants",
        h,
        name="Mechanic",
        knowledge_base_ids=[engines_kb["id"]],
    )
    both = [tree.assistant, mechanic["id"]]

    async def configure(**config: Any) -> None:
        response = await client.patch(
            f"{V1}/teammates/{tree.teammate}", json={"orchestration_config": config}, headers=h
        )
        assert response.status_code == 200, response.text

    # weighted: the heaviest assistant answers.
    await configure(strategy="weighted", weights={tree.assistant: 0.1, mechanic["id"]: 2.5})
    body = (
        await ask(client, h, tree.teammate, query="How often must the pump engine be serviced?")
    ).json()
    assert [a["assistant_name"] for a in body["assistants"]] == ["Mechanic"]
    assert "500 operating hours" in body["answer"]

    # sequential: both, in order, each attributed, citation numbers kept distinct.
    await configure(strategy="sequential", assistant_ids=both)
    body = (
        await ask(
            client,
            h,
            tree.teammate,
            query="What about refunds within 30 days and the engine service hours?",
        )
    ).json()
    assert [a["assistant_name"] for a in body["assistants"]] == ["Librarian", "Mechanic"]
    assert body["answer"].startswith("Librarian: ") and "\n\nMechanic: " in body["answer"]
    numbers = [c["n"] for c in body["citations"]]
    assert len(numbers) == len(set(numbers)) == 2
    assert {c["document_name"] for c in body["citations"]} == {"policy.md", "engines.md"}

    # fallback: the first assistant that knows answers.
    await configure(strategy="fallback", assistant_ids=both)
    body = (
        await ask(client, h, tree.teammate, query="How often must the pump engine be serviced?")
    ).json()
    assert [a["assistant_name"] for a in body["assistants"]] == ["Mechanic"]
    assert body["found"] is True

    # parallel: both assistants are asked at the same time (each waits for the other's call).
    arrived = 0
    both_in_flight = asyncio.Event()

    async def rendezvous(messages: list[Message]) -> str:
        nonlocal arrived
        arrived += 1
        if arrived == 2:
            both_in_flight.set()
        await asyncio.wait_for(both_in_flight.wait(), timeout=10)
        return "Answered together [1]."

    llm_script("oyl-together", rendezvous)
    for assistant in both:
        await client.patch(
            f"{V1}/assistants/{assistant}", json={"model": "scripted/oyl-together"}, headers=h
        )
    await configure(strategy="parallel", assistant_ids=both)
    response = await ask(
        client, h, tree.teammate, query="Refunds within 30 days and pump engine service hours?"
    )
    assert response.status_code == 200, response.text
    assert [a["found"] for a in response.json()["assistants"]] == [True, True]


async def test_teammate_without_assistants(client: httpx.AsyncClient, api: Any) -> None:
    tenant = await api.tenant()
    workspace = await api.post(f"{V1}/workspaces", tenant.owner, name="Empty")
    teammate = await api.post(
        f"{V1}/workspaces/{workspace['id']}/teammates", tenant.owner, name="Lonely"
    )
    response = await ask(client, tenant.owner, teammate["id"], query="anyone?")
    assert response.status_code == 409


async def test_a_failing_model_is_a_clear_503(
    client: httpx.AsyncClient, helpdesk: dict[str, Any], llm_script: Any
) -> None:
    tenant, tree = helpdesk["tenant"], helpdesk["tree"]
    llm_script("oyl-down", lambda messages: LLMUnavailable("connection refused"))
    await client.patch(
        f"{V1}/assistants/{tree.assistant}",
        json={"model": "scripted/oyl-down"},
        headers=tenant.owner,
    )
    response = await ask(client, tenant.owner, tree.teammate, query="What is the refund window?")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "llm_unavailable"
    assert "scripted/oyl-down" in response.json()["error"]["message"]
    async with client.stream(
        "POST",
        f"{V1}/teammates/{tree.teammate}/query",
        json={"query": "What is the refund window?", "stream": True},
        headers=tenant.owner,
    ) as streamed:
        raw = (await streamed.aread()).decode()
    assert "event: error" in raw and "llm_unavailable" in raw
