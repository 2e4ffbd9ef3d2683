"""The retry and timeout policy around one provider call.

Each attempt gets the whole timeout (the SDKs' own retries are off, so this is the only policy);
only errors flagged ``transient`` (timeouts, connection errors, 429, 5xx) are tried again, after
an exponential, jittered delay that also honours the provider's ``Retry-After`` hint.
Cancellation is never caught: it ends the call at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from servicekit.llm.errors import LLMError, LLMRateLimited, LLMTimeout

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a call is retried."""

    max_retries: int = 3
    initial_delay_s: float = 0.5
    max_delay_s: float = 30.0


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, LLMError) and error.transient


class _Backoff:
    """Exponential full-jitter delay, stretched to the provider's ``Retry-After`` when longer."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._exponential = wait_random_exponential(
            multiplier=policy.initial_delay_s, max=policy.max_delay_s
        )

    def __call__(self, state: RetryCallState) -> float:
        delay = self._exponential(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, LLMRateLimited) and error.retry_after is not None:
            delay = max(delay, min(error.retry_after, self._policy.max_delay_s))
        return delay


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]], *, attempt_timeout: float, policy: RetryPolicy
) -> T:
    """Run ``attempt``, ``attempt_timeout`` per try; retry transient LLM errors per ``policy``."""

    async def timed_attempt() -> T:
        try:
            async with asyncio.timeout(attempt_timeout):
                return await attempt()
        except TimeoutError as error:
            # asyncio.timeout only turns its own cancellation into TimeoutError; a cancellation
            # from outside stays CancelledError and propagates untouched.
            raise LLMTimeout(f"no reply within {attempt_timeout:g} s") from error

    return await retrying(policy)(timed_attempt)


def retrying(policy: RetryPolicy) -> AsyncRetrying:
    """The retry loop of ``policy``; also usable as ``async for attempt in retrying(policy)``
    around code that is not one awaitable (opening a stream). The last error is re-raised."""
    return AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        retry=retry_if_exception(_is_transient),
        wait=_Backoff(policy),
        reraise=True,
    )
