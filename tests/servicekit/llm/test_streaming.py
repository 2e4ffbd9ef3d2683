"""``LLMClient.stream``: deltas as they are generated, the usage at the end, the client's policy
(retry only before the first delta, timeouts, cancellation) for every provider. The OpenAI and
Anthropic SDKs run for real against local servers speaking their streaming protocols."""

from __future__ import annotations

import asyncio

import pytest

from servicekit.llm import (
    BreaksOff,
    LLMClient,
    LLMRateLimited,
    LLMRequestRejected,
    LLMTimeout,
    LLMUnavailable,
    StrippedDeltas,
)

HELLO = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello now"}]


async def read_all(stream) -> list[str]:
    async with stream:
        return [delta async for delta in stream]


# -- scripted --------------------------------------------------------------------------------


@pytest.fixture
def scripted_client(make_settings) -> LLMClient:
    return LLMClient(make_settings(), retry_initial_delay=0.01)


async def test_a_scripted_reply_arrives_in_pieces_that_add_up_to_the_completion(
    scripted_client, llm_script
):
    reply = "Customers may return items within 30 days [1]."
    llm_script("writer", [reply, reply])

    stream = scripted_client.stream(HELLO, model="scripted/writer")
    deltas = await read_all(stream)
    whole = await scripted_client.complete(HELLO, model="scripted/writer")

    assert len(deltas) == len(reply.split()) and all(deltas)
    assert "".join(deltas) == stream.completion.text == whole.text == reply
    assert stream.completion.usage == whole.usage
    assert stream.completion.finish_reason == "stop"
    assert stream.completion.model == "scripted/writer"
    assert stream.completion.cost_usd == 0.0


async def test_a_failure_before_the_first_delta_is_retried(scripted_client, llm_script):
    flaky = llm_script("flaky", [LLMRateLimited("slow down", retry_after=0), "after retry"])

    assert "".join(await read_all(scripted_client.stream(HELLO, model="scripted/flaky"))) == (
        "after retry"
    )
    assert len(flaky.calls) == 2


async def test_a_failure_after_the_first_delta_is_raised_not_retried(scripted_client, llm_script):
    broken = llm_script(
        "broken", [BreaksOff("Half an", LLMUnavailable("connection reset")), "never shown"]
    )
    stream = scripted_client.stream(HELLO, model="scripted/broken")
    received: list[str] = []

    with pytest.raises(LLMUnavailable, match="connection reset"):
        async with stream:
            async for delta in stream:
                received.append(delta)

    assert received == ["Half", " an"]
    assert stream.text == "Half an"
    assert stream.completion is None  # a broken reply is never presented as complete
    assert len(broken.calls) == 1


async def test_a_non_transient_failure_before_the_first_delta_is_raised(
    scripted_client, llm_script
):
    llm_script("refusing", [LLMRequestRejected("bad request", status_code=400), "never"])
    with pytest.raises(LLMRequestRejected):
        await read_all(scripted_client.stream(HELLO, model="scripted/refusing"))


# -- OpenAI-compatible (the real openai SDK against a local SSE server) ------------------------


async def test_openai_chunks_stream_and_the_usage_chunk_gives_the_usage(faulty_server, client_for):
    client = client_for(faulty_server)
    stream = client.stream(HELLO, model="llamacpp/any", max_tokens=50, temperature=0.3)

    deltas = await read_all(stream)

    assert deltas == ["recovered", " after", " all"]
    assert stream.completion.text == faulty_server.REPLY
    assert (stream.completion.usage.prompt_tokens, stream.completion.usage.completion_tokens) == (
        5,
        3,
    )
    assert stream.completion.finish_reason == "stop"
    [body] = faulty_server.bodies
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == HELLO
    assert (body["max_tokens"], body["temperature"]) == (50, 0.3)


async def test_openai_errors_before_the_stream_are_retried(faulty_server, client_for):
    faulty_server.fail(503, times=2)

    deltas = await read_all(
        client_for(faulty_server, max_retries=2).stream(HELLO, model="llamacpp/any")
    )

    assert "".join(deltas) == faulty_server.REPLY
    assert faulty_server.calls == 3


async def test_openai_stall_before_the_first_token_times_out_and_is_retried(
    faulty_server, client_for
):
    faulty_server.stall(times=2)
    client = client_for(faulty_server, max_retries=1)

    async with asyncio.timeout(20):  # guards the test only
        with pytest.raises(LLMTimeout, match=r"no first token within 0\.3 s"):
            await read_all(client.stream(HELLO, model="llamacpp/any", first_token_timeout=0.3))
        assert faulty_server.calls == 2


async def test_openai_stream_broken_midway_is_unavailable_and_not_retried(
    faulty_server, client_for
):
    faulty_server.break_stream()
    stream = client_for(faulty_server, max_retries=3).stream(HELLO, model="llamacpp/any")

    with pytest.raises(LLMUnavailable, match="broke off the stream"):
        await read_all(stream)
    assert stream.text == "recovered"
    assert faulty_server.calls == 1


async def test_openai_stream_stalling_midway_hits_the_total_timeout(faulty_server, client_for):
    faulty_server.hang_stream()
    stream = client_for(faulty_server, max_retries=3).stream(
        HELLO, model="llamacpp/any", timeout=0.5
    )

    async with asyncio.timeout(20):
        with pytest.raises(LLMTimeout, match=r"no complete reply within 0\.5 s"):
            await read_all(stream)
        assert faulty_server.calls == 1
        assert await asyncio.to_thread(faulty_server.stream_closed.wait, 10)


async def test_cancelling_the_consumer_closes_the_openai_stream(faulty_server, client_for):
    faulty_server.hang_stream()
    stream = client_for(faulty_server).stream(HELLO, model="llamacpp/any", timeout=60)
    first = asyncio.Event()

    async def consume() -> None:
        async with stream:
            async for _ in stream:
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    # The server sees the client go away, long before the 60 s timeout.
    assert await asyncio.to_thread(faulty_server.stream_closed.wait, 10)


# -- Anthropic (the real anthropic SDK against the Messages API double) -------------------------

ANTHROPIC_MODEL = "anthropic/claude-sonnet-4-6"


async def test_anthropic_events_stream_with_usage_and_stop_reason(
    anthropic_client, anthropic_double
):
    anthropic_double.reply_text("Correct: full marks.")

    stream = anthropic_client.stream(HELLO, model=ANTHROPIC_MODEL, max_tokens=200)
    deltas = await read_all(stream)

    assert deltas == ["Correct:", " full", " marks."]
    completion = stream.completion
    assert completion.text == "Correct: full marks."
    assert completion.finish_reason == "end_turn"
    # The double counts words: 2 of system prompt + 3 of message in, 3 out; Sonnet 4 costs
    # $3 in and $15 out per million tokens.
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (5, 3)
    assert completion.cost_usd == pytest.approx((5 * 3 + 3 * 15) / 1_000_000)
    [request] = anthropic_double.requests
    assert request.body["stream"] is True
    assert request.body["system"] == "Be brief."
    assert request.body["max_tokens"] == 200


async def test_anthropic_stream_falls_back_when_temperature_is_rejected(
    anthropic_client, anthropic_double
):
    anthropic_double.rejects_temperature.add("claude-sonnet-4-6")
    anthropic_double.reply_text("no temperature here")

    deltas = await read_all(anthropic_client.stream(HELLO, model=ANTHROPIC_MODEL))

    assert "".join(deltas) == "no temperature here"
    assert ["temperature" in r.body for r in anthropic_double.requests] == [True, False]


async def test_anthropic_error_event_midway_is_raised_not_retried(
    anthropic_client, anthropic_double
):
    anthropic_double.reply_stream_break("Partly there", "overloaded_error")
    anthropic_double.reply_text("never asked for")
    stream = anthropic_client.stream(HELLO, model=ANTHROPIC_MODEL)

    with pytest.raises(LLMUnavailable, match="HTTP 529"):
        await read_all(stream)
    assert stream.text == "Partly there"
    assert len(anthropic_double.requests) == 1


async def test_anthropic_overload_before_the_stream_is_retried(anthropic_client, anthropic_double):
    anthropic_double.reply_error(529, "overloaded_error")
    anthropic_double.reply_text("second try")

    assert "".join(await read_all(anthropic_client.stream(HELLO, model=ANTHROPIC_MODEL))) == (
        "second try"
    )
    assert len(anthropic_double.requests) == 2


async def test_closing_an_anthropic_stream_early_closes_the_connection(
    anthropic_client, anthropic_double
):
    anthropic_double.reply_stream_hang("Still thinking")
    stream = anthropic_client.stream(HELLO, model=ANTHROPIC_MODEL, timeout=60)

    async with stream:
        assert await anext(stream) == "Still"
    # Leaving the block (a consumer that has seen enough) ends the server's response too.
    assert await asyncio.to_thread(anthropic_double.stream_closed.wait, 10)


async def test_closing_a_scripted_stream_early_is_counted_as_abandoned(scripted_client, llm_script):
    slow = llm_script("slow", [BreaksOff("Thinking about")])
    stream = scripted_client.stream(HELLO, model="scripted/slow")

    async with stream:
        assert await anext(stream) == "Thinking"
        assert slow.abandoned == 0

    assert slow.abandoned == 1


@pytest.mark.parametrize("text", ["  Paris is the capital.\n\n", "Paris", " \n ", "a  b   c "])
def test_stripped_deltas_add_up_to_the_stripped_text(text):
    trim = StrippedDeltas()
    assert "".join(trim.feed(character) for character in text) == text.strip()
