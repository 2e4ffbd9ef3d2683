"""The scripted provider: deterministic replies for services' end-to-end tests."""

from __future__ import annotations

import pytest

from servicekit.llm import (
    LLMClient,
    LLMError,
    LLMRateLimited,
    LLMRequestRejected,
    LLMResponseError,
    ProviderNotConfigured,
    configured_providers,
    scripted_model,
)

ASK = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello now"}]


@pytest.fixture
def client(make_settings) -> LLMClient:
    return LLMClient(make_settings(), retry_initial_delay=0.01)


async def test_replies_come_in_script_order_with_usage_and_zero_cost(client, llm_script):
    judge = llm_script("judge", ["hello there", "second reply"])

    first = await client.complete(ASK, model="scripted/judge")
    second = await client.complete(ASK, model="scripted/judge")

    assert (first.text, second.text) == ("hello there", "second reply")
    assert first.model == "scripted/judge"
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (5, 2)
    assert first.cost_usd == 0.0
    assert first.latency_s >= 0.0
    assert judge.calls == [ASK, ASK]


async def test_a_json_reply_is_validated_against_the_schema(client, llm_script):
    schema = {
        "type": "object",
        "properties": {"score": {"type": "integer"}},
        "required": ["score"],
    }
    llm_script("grader", [{"score": 4}, {"score": "high"}, "not json"])

    assert (await client.complete(ASK, model="scripted/grader", json_schema=schema)).data == {
        "score": 4
    }
    with pytest.raises(LLMResponseError, match=r"does not match the schema at score"):
        await client.complete(ASK, model="scripted/grader", json_schema=schema)
    with pytest.raises(LLMResponseError, match="did not return valid JSON") as raised:
        await client.complete(ASK, model="scripted/grader", json_schema=schema)
    assert raised.value.text == "not json"
    # the rejected reply was still generated: its usage travels with the error
    assert raised.value.usage is not None and raised.value.usage.completion_tokens == 2


async def test_a_function_script_sees_the_messages(client, llm_script):
    llm_script("echo", lambda messages: messages[-1]["content"].upper())

    async def answer_async(messages):
        return f"{len(messages)} messages"

    llm_script("counter", answer_async)

    assert (await client.complete(ASK, model="scripted/echo")).text == "SAY HELLO NOW"
    assert (await client.complete(ASK, model="scripted/counter")).text == "2 messages"


async def test_scripted_errors_reach_the_caller_and_transient_ones_are_retried(client, llm_script):
    flaky = llm_script("flaky", [LLMRateLimited("slow down", retry_after=0), "after retry"])
    llm_script("refusing", [LLMRequestRejected("bad request", status_code=400), "never"])

    assert (await client.complete(ASK, model="scripted/flaky")).text == "after retry"
    assert len(flaky.calls) == 2
    with pytest.raises(LLMRequestRejected):
        await client.complete(ASK, model="scripted/refusing")


async def test_an_exhausted_script_says_so(client, llm_script):
    llm_script("once", ["only"])
    await client.complete(ASK, model="scripted/once")

    with pytest.raises(LLMError, match="no reply left"):
        await client.complete(ASK, model="scripted/once")


async def test_a_model_without_script_is_not_configured(client):
    with pytest.raises(ProviderNotConfigured, match="no script for 'nobody'"):
        await client.complete(ASK, model="scripted/nobody")


async def test_scripted_is_listed_only_while_a_script_is_installed(make_settings):
    settings = make_settings()
    assert "scripted" not in configured_providers(settings)
    with scripted_model("scripted/demo", ["hi"]):
        assert "scripted" in configured_providers(settings)
    assert "scripted" not in configured_providers(settings)
