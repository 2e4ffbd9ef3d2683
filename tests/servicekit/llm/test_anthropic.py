"""The Anthropic provider: the real SDK against a local server speaking the Messages API."""

from __future__ import annotations

import pytest

from servicekit.llm import (
    LLMClient,
    LLMRequestRejected,
    LLMResponseError,
)
from servicekit.testing.llm import AnthropicDouble

MODEL = "anthropic/claude-sonnet-4-6"
CONVERSATION = [
    {"role": "system", "content": "You grade answers."},
    {"role": "system", "content": "Be strict."},
    {"role": "user", "content": "Grade: 2 + 2 = 4"},
]


@pytest.fixture
def client(anthropic_client):
    return anthropic_client


async def test_a_completion_sends_the_messages_api_request_shape(client, anthropic_double):
    anthropic_double.reply_text("Correct: full marks.")

    result = await client.complete(CONVERSATION, model=MODEL, max_tokens=200, temperature=0.2)

    assert result.text == "Correct: full marks."
    assert result.finish_reason == "end_turn"
    [request] = anthropic_double.requests
    assert AnthropicDouble.API_KEY in (
        request.headers.get("x-api-key"),
        request.headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert request.headers["anthropic-version"]
    assert request.body["model"] == "claude-sonnet-4-6"
    assert request.body["system"] == "You grade answers.\n\nBe strict."
    assert request.body["messages"] == [{"role": "user", "content": "Grade: 2 + 2 = 4"}]
    assert request.body["max_tokens"] == 200
    assert request.body["temperature"] == 0.2


async def test_usage_and_cost_come_from_the_response(client, anthropic_double):
    anthropic_double.reply_text("one two three")

    result = await client.complete(CONVERSATION, model=MODEL)

    # The double counts words: 5 of system prompt + 6 of message in, 3 out; Sonnet 4 costs
    # $3 in and $15 out per million tokens.
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (11, 3)
    assert result.cost_usd == pytest.approx((11 * 3 + 3 * 15) / 1_000_000)


async def test_json_output_goes_through_a_forced_tool(client, anthropic_double):
    schema = {
        "type": "object",
        "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 10}},
        "required": ["score"],
    }
    anthropic_double.reply_tool_input({"score": 9})

    result = await client.complete(CONVERSATION, model=MODEL, json_schema=schema)

    assert result.data == {"score": 9}
    [request] = anthropic_double.requests
    [tool] = request.body["tools"]
    assert tool["input_schema"] == schema
    assert request.body["tool_choice"] == {"type": "tool", "name": tool["name"]}


async def test_a_non_object_schema_is_wrapped_and_unwrapped(client, anthropic_double):
    schema = {"type": "array", "items": {"type": "string"}}
    anthropic_double.reply_tool_input({"value": ["a", "b"]})

    result = await client.complete(CONVERSATION, model=MODEL, json_schema=schema)

    assert result.data == ["a", "b"]


async def test_invalid_tool_input_or_no_tool_call_is_a_response_error(client, anthropic_double):
    schema = {"type": "object", "properties": {"score": {"type": "integer"}}}
    anthropic_double.reply_tool_input({"score": "nine"})
    anthropic_double.reply_text("I think it deserves a 9.")

    with pytest.raises(LLMResponseError, match="does not match the schema at score"):
        await client.complete(CONVERSATION, model=MODEL, json_schema=schema)
    with pytest.raises(LLMResponseError, match="without the requested JSON"):
        await client.complete(CONVERSATION, model=MODEL, json_schema=schema)


async def test_overloaded_is_retried_and_a_bad_key_is_not(make_settings, client, anthropic_double):
    anthropic_double.reply_error(529, "overloaded_error")
    anthropic_double.reply_error(429, "rate_limit_error", headers={"retry-after": "0"})
    anthropic_double.reply_text("finally")

    assert (await client.complete(CONVERSATION, model=MODEL)).text == "finally"
    assert len(anthropic_double.requests) == 3

    wrong_key = LLMClient(
        make_settings(anthropic_api_key="sk-wrong", anthropic_base_url=anthropic_double.base_url)
    )
    with pytest.raises(LLMRequestRejected, match="HTTP 401: invalid x-api-key"):
        await wrong_key.complete(CONVERSATION, model=MODEL)
    await wrong_key.aclose()
    assert len(anthropic_double.requests) == 4


async def test_a_model_that_rejects_temperature_is_asked_again_without_it(client, anthropic_double):
    anthropic_double.rejects_temperature.add("claude-opus-5")
    anthropic_double.reply_text("first")
    anthropic_double.reply_text("second")

    assert (await client.complete(CONVERSATION, model="anthropic/claude-opus-5")).text == "first"
    assert (await client.complete(CONVERSATION, model="anthropic/claude-opus-5")).text == "second"

    sent = [request.body for request in anthropic_double.requests]
    assert ["temperature" in body for body in sent] == [True, False, False]
