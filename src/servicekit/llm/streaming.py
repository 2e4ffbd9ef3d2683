"""``LLMStream``: a completion read as it is generated, with the client's policy around it.

The policy is ``complete``'s, adapted to a reply that arrives in pieces:

- an attempt is retried (transient errors, backoff) only until its first delta arrives: once text
  has reached the caller, trying again would show it a second, different beginning;
- ``first_token_timeout`` bounds each attempt's wait for its first delta, ``timeout`` the attempt
  as a whole (as it bounds a ``complete`` attempt), consumer's time between deltas included;
- closing the stream early (``aclose``, leaving ``async with``, cancelling the consumer) closes
  the provider's stream, which stops the generation and frees the connection or the model.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from types import TracebackType

from servicekit.llm import pricing
from servicekit.llm.errors import LLMResponseError, LLMTimeout
from servicekit.llm.retry import RetryPolicy, retrying
from servicekit.llm.types import Completion, ModelRef, ProviderChunk

OpenStream = Callable[[], AsyncGenerator[ProviderChunk, None]]


class LLMStream:
    """Text deltas of one completion; ``completion`` holds the whole once they are all read.

        async with llm.stream(messages, model="openai/gpt-4o-mini") as stream:
            async for delta in stream:
                print(delta, end="")
        stream.completion.usage, stream.completion.cost_usd

    ``text`` is what has arrived so far, also after a failure. Errors are ``LLMError``
    subclasses, raised from the iteration.
    """

    def __init__(
        self,
        open_attempt: OpenStream,
        *,
        ref: ModelRef,
        timeout: float,
        first_token_timeout: float,
        policy: RetryPolicy,
        prices: dict[str, pricing.Price],
    ) -> None:
        self._open_attempt = open_attempt
        self._ref = ref
        self._timeout = timeout
        self._first_token_timeout = min(first_token_timeout, timeout)
        self._policy = policy
        self._prices = prices
        self._parts: list[str] = []
        self._deltas = self._run()
        self.completion: Completion | None = None

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def __aiter__(self) -> LLMStream:
        return self

    async def __anext__(self) -> str:
        return await anext(self._deltas)

    async def aclose(self) -> None:
        """Stop reading: the provider's stream is closed and its generation stopped."""
        await self._deltas.aclose()

    async def __aenter__(self) -> LLMStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(self) -> AsyncIterator[str]:
        started = time.perf_counter()
        chunks, first, deadline = await self._first_chunk()
        async with aclosing(chunks):
            item = first
            while isinstance(item, str):
                self._parts.append(item)
                yield item
                item = await _next_before(chunks, deadline, self._timeout, "complete reply")
        self.completion = Completion(
            text=self.text,
            model=str(self._ref),
            usage=item.usage,
            latency_s=time.perf_counter() - started,
            cost_usd=pricing.estimate_cost(self._ref, item.usage, self._prices),
            finish_reason=item.finish_reason,
        )

    async def _first_chunk(
        self,
    ) -> tuple[AsyncGenerator[ProviderChunk, None], ProviderChunk, float]:
        """An opened provider stream and its first chunk, retried as ``complete`` is."""
        loop = asyncio.get_running_loop()
        async for attempt in retrying(self._policy):
            with attempt:
                chunks = self._open_attempt()
                deadline = loop.time() + self._timeout
                try:
                    first = await _next_before(
                        chunks,
                        loop.time() + self._first_token_timeout,
                        self._first_token_timeout,
                        "first token",
                    )
                except BaseException:
                    await chunks.aclose()
                    raise
        return chunks, first, deadline


async def _next_before(
    chunks: AsyncGenerator[ProviderChunk, None], deadline: float, limit: float, what: str
) -> ProviderChunk:
    # The timeout is around each wait only, never across a ``yield``: a timeout armed while the
    # consumer runs its own code would cancel that code instead of the provider's.
    try:
        async with asyncio.timeout_at(deadline):
            return await anext(chunks)
    except TimeoutError as error:
        raise LLMTimeout(f"no {what} within {limit:g} s") from error
    except StopAsyncIteration as error:
        raise LLMResponseError("the provider's stream ended before its reply was complete") from (
            error
        )


class StrippedDeltas:
    """Deltas that add up to the whole text ``.strip()``-ed, for callers that strip a complete
    reply and want its stream to match: leading whitespace is dropped, whitespace is held back
    until more text follows it, and trailing whitespace never comes out."""

    def __init__(self) -> None:
        self._started = False
        self._held = ""

    def feed(self, piece: str) -> str:
        """The part of ``piece`` that can be passed on now (maybe empty)."""
        if not self._started:
            piece = piece.lstrip()
            if not piece:
                return ""
            self._started = True
        body = piece.rstrip()
        if not body:
            self._held += piece
            return ""
        delta, self._held = self._held + body, piece[len(body) :]
        return delta
