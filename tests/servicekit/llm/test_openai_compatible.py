"""The OpenAI-compatible provider against llama.cpp's own OpenAI-compatible server."""

from __future__ import annotations

import pytest

from servicekit.llm import LLMClient

pytestmark = pytest.mark.slow  # starts a model server (a few seconds, once per session)


@pytest.fixture
async def client(make_settings, llamacpp_server):
    client = LLMClient(make_settings(llamacpp_base_url=llamacpp_server.base_url))
    yield client
    await client.aclose()


async def test_a_plain_question_is_answered_with_usage(client, llamacpp_server):
    result = await client.complete(
        [{"role": "user", "content": "Q: What is the capital of France?\nA:"}],
        model=f"llamacpp/{llamacpp_server.model}",
        max_tokens=24,
    )

    assert "Paris" in result.text
    assert result.usage.prompt_tokens > 0
    assert 0 < result.usage.completion_tokens <= 24
    assert result.cost_usd == 0.0
    assert result.latency_s > 0


async def test_json_output_follows_the_schema(client, llamacpp_server):
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 20},
            "age": {"type": "integer", "minimum": 0, "maximum": 120},
        },
        "required": ["name", "age"],
        "additionalProperties": False,
    }

    result = await client.complete(
        [{"role": "user", "content": "Describe Alice, who is 30 years old, as JSON."}],
        model=f"llamacpp/{llamacpp_server.model}",
        max_tokens=64,
        json_schema=schema,
    )

    assert set(result.data) == {"name", "age"}
    assert isinstance(result.data["age"], int)
    assert result.usage.completion_tokens > 0


async def test_a_streamed_answer_adds_up_to_the_completion(client, llamacpp_server):
    question = [{"role": "user", "content": "Q: What is the capital of France?\nA:"}]
    model = f"llamacpp/{llamacpp_server.model}"
    whole = await client.complete(question, model=model, max_tokens=24)

    stream = client.stream(question, model=model, max_tokens=24)
    async with stream:
        deltas = [delta async for delta in stream]

    assert len(deltas) > 1
    assert "".join(deltas) == stream.completion.text == whole.text  # greedy: the same text
    assert "Paris" in stream.completion.text
    assert stream.completion.finish_reason in ("stop", "length")
