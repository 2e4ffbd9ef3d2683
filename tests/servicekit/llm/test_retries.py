"""Timeouts and retries against a real local HTTP server that fails or stalls as planned."""

from __future__ import annotations

import asyncio

import pytest

from servicekit.llm import (
    LLMQuotaExhausted,
    LLMRequestRejected,
    LLMTimeout,
    LLMUnavailable,
)

HELLO = [{"role": "user", "content": "hello"}]
MODEL = "llamacpp/any"


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_transient_failures_are_retried_until_success(faulty_server, client_for, status):
    faulty_server.fail(status, times=2)

    result = await client_for(faulty_server, max_retries=3).complete(HELLO, model=MODEL)

    assert result.text == faulty_server.REPLY
    assert faulty_server.calls == 3


async def test_retries_stop_at_the_budget(faulty_server, client_for):
    faulty_server.fail(503, times=10)

    with pytest.raises(LLMUnavailable, match="HTTP 503"):
        await client_for(faulty_server, max_retries=2).complete(HELLO, model=MODEL)
    assert faulty_server.calls == 3


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_client_errors_are_not_retried(faulty_server, client_for, status):
    faulty_server.fail(status)

    with pytest.raises(LLMRequestRejected) as raised:
        await client_for(faulty_server, max_retries=3).complete(HELLO, model=MODEL)
    assert raised.value.status_code == status
    assert faulty_server.calls == 1


async def test_an_exhausted_quota_is_not_retried(faulty_server, client_for):
    faulty_server.fail(429, code="insufficient_quota")

    with pytest.raises(LLMQuotaExhausted):
        await client_for(faulty_server, max_retries=3).complete(HELLO, model=MODEL)
    assert faulty_server.calls == 1


async def test_a_stalled_attempt_times_out_and_is_retried(faulty_server, client_for):
    faulty_server.stall(times=2)
    client = client_for(faulty_server, max_retries=1)

    # The outer limit only guards the test: the client must give up on its own well before.
    async with asyncio.timeout(20):
        with pytest.raises(LLMTimeout, match=r"no reply within 0\.3 s"):
            await client.complete(HELLO, model=MODEL, timeout=0.3)
        assert faulty_server.calls == 2
        # Once the server answers again, so does the client.
        assert (await client.complete(HELLO, model=MODEL, timeout=5)).text == faulty_server.REPLY


async def test_cancellation_is_never_swallowed_or_retried(faulty_server, client_for):
    faulty_server.stall(times=5)
    client = client_for(faulty_server, max_retries=3)

    call = asyncio.create_task(client.complete(HELLO, model=MODEL, timeout=10))
    assert await asyncio.to_thread(faulty_server.received.wait, 10)
    call.cancel()

    with pytest.raises(asyncio.CancelledError):
        await call
    assert faulty_server.calls == 1


async def test_an_unreachable_server_is_unavailable(client_for, faulty_server):
    faulty_server.base_url = "http://127.0.0.1:9/v1"  # nothing listens on the discard port

    with pytest.raises(LLMUnavailable, match="unreachable"):
        await client_for(faulty_server, max_retries=1).complete(HELLO, model=MODEL)
