"""The in-process local model (llama-cpp-python), for real."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from servicekit.llm import LLMClient, LLMTimeout, ProviderNotConfigured
from servicekit.llm.local_model import default_model_path

MODEL = "local/gemma3-270m"
CAPITAL = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
async def client(make_settings, local_model_path):
    # No retries: a timed-out local generation would only time out again.
    client = LLMClient(make_settings(local_llm_model_path=local_model_path), max_retries=0)
    yield client
    await client.aclose()


async def test_a_plain_completion_answers_and_stops_at_its_turn(client):
    result = await client.complete(CAPITAL, model=MODEL, max_tokens=48)

    assert "Paris" in result.text
    assert "User:" not in result.text
    assert result.finish_reason == "stop"
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.cost_usd == 0.0


@pytest.mark.slow  # grammar sampling scans the whole 262k-token vocabulary at every step
async def test_json_output_is_forced_by_a_grammar_from_the_schema(client):
    schema = {
        "type": "object",
        "properties": {"country": {"type": "string"}, "capital": {"type": "string"}},
        "required": ["country", "capital"],
        "additionalProperties": False,
    }
    result = await client.complete(
        [{"role": "user", "content": "Give France and its capital as JSON."}],
        model=MODEL,
        max_tokens=48,
        json_schema=schema,
    )

    assert list(result.data) == ["country", "capital"]  # generated in the schema's order
    assert json.loads(result.text) == result.data


async def test_concurrent_calls_share_one_model_safely(client):
    answers = await asyncio.gather(
        *(client.complete(CAPITAL, model=MODEL, max_tokens=24) for _ in range(3))
    )
    assert len({answer.text for answer in answers}) == 1  # greedy decoding, same input
    assert "Paris" in answers[0].text


async def test_a_timed_out_generation_frees_the_model(client):
    # The grammar forces hundreds of numbers out of the model: far more than 0.5 s of work.
    endless = {"type": "array", "items": {"type": "integer"}, "minItems": 400}
    count = [{"role": "user", "content": "Count from 1 to 400."}]
    with pytest.raises(LLMTimeout):
        await client.complete(count, model=MODEL, max_tokens=2000, json_schema=endless, timeout=0.5)

    # Had the abandoned generation kept the model, this call would wait minutes for it.
    freed = await client.complete(CAPITAL, model=MODEL, max_tokens=24, timeout=30)
    assert "Paris" in freed.text


async def test_a_missing_model_file_is_named(make_settings, tmp_path):
    client = LLMClient(make_settings(local_llm_model_path=tmp_path / "nope.gguf"))
    with pytest.raises(
        ProviderNotConfigured, match=r"LOCAL_LLM_MODEL_PATH.*nope\.gguf does not exist"
    ):
        await client.complete(CAPITAL, model=MODEL)


@pytest.mark.slow
def test_two_processes_assemble_the_default_model_once(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_HOME", str(tmp_path))
    code = "from servicekit.llm.local_model import default_model_path; print(default_model_path())"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0].strip() for process in processes]

    assert [process.returncode for process in processes] == [0, 0]
    model = tmp_path / "models" / "gemma-3-270m-q4_k_m.gguf"
    assert outputs == [str(model), str(model)]
    assert not list(model.parent.glob("*.partial"))

    # Later starts reuse the verified file instead of assembling it again.
    modified = model.stat().st_mtime_ns
    assert default_model_path() == model
    assert model.stat().st_mtime_ns == modified

    # A damaged file (wrong size) is rebuilt.
    with model.open("r+b") as damaged:
        damaged.truncate(1024)
    assert default_model_path() == model
    assert model.stat().st_size > 1024
    assert os.access(model, os.R_OK)


async def test_a_streamed_generation_adds_up_to_the_completion(client):
    whole = await client.complete(CAPITAL, model=MODEL, max_tokens=48)

    stream = client.stream(CAPITAL, model=MODEL, max_tokens=48)
    async with stream:
        deltas = [delta async for delta in stream]

    assert len(deltas) > 1  # token by token, not the whole text at once
    assert "".join(deltas) == stream.completion.text == whole.text  # greedy: same text
    assert "Paris" in stream.completion.text
    assert stream.completion.finish_reason == "stop"
    assert stream.completion.usage.prompt_tokens == whole.usage.prompt_tokens
    assert stream.completion.usage.completion_tokens > 0


async def test_closing_a_stream_early_stops_the_generation(client):
    count = [{"role": "user", "content": "Count from 1 to 1000, one number per line."}]
    stream = client.stream(count, model=MODEL, max_tokens=2000, timeout=600)
    async with stream:
        await anext(stream)

    # Had the abandoned generation kept the model, this call would wait for 2000 tokens.
    freed = await client.complete(CAPITAL, model=MODEL, max_tokens=24, timeout=30)
    assert "Paris" in freed.text
