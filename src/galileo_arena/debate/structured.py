"""One structured LLM call: ask, validate, retry once, else fall back to a safe answer.

In JSON mode the schema goes to the provider (``json_schema=``) so decoding is constrained; in TOML
mode the model writes text. Either way the reply text is read leniently (``reply_parsing``) and
validated by the pydantic model, so a JSON reply the kit rejects (wrapped in prose, a lowercase
verdict) is still used when it holds a valid answer, and no retry is spent on it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from galileo_arena.debate.output_mode import OutputMode
from galileo_arena.debate.reply_parsing import Reading, first_valid
from servicekit.llm import LLMClient, LLMResponseError

__all__ = [
    "Attempt",
    "CallSettings",
    "StructuredResult",
    "ask",
    "json_schema_of",
    "structured_call",
]

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class CallSettings:
    """Where and how one role's calls go."""

    model: str
    mode: OutputMode
    temperature: float
    max_tokens: int
    timeout: float | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One LLM call as it happened: the reply text and what it cost (a reply the kit rejected
    as invalid JSON included: its tokens were paid for)."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    latency_s: float

    def __add__(self, other: Attempt) -> Attempt:
        """Both attempts' costs, and the later attempt's text."""
        return Attempt(
            text=other.text,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            latency_s=self.latency_s + other.latency_s,
        )


async def ask(
    llm: LLMClient, call: CallSettings, prompt: str, schema: dict[str, Any] | None
) -> Attempt:
    """Send ``prompt`` as one user message; ``schema`` constrains the reply in JSON mode."""
    started = time.perf_counter()
    try:
        completion = await llm.complete(
            [{"role": "user", "content": prompt}],
            model=call.model,
            temperature=call.temperature,
            max_tokens=call.max_tokens,
            json_schema=schema if call.mode is OutputMode.JSON else None,
            timeout=call.timeout,
        )
    except LLMResponseError as error:
        # The model answered, just not in valid JSON: its text may still be readable.
        usage = error.usage
        return Attempt(
            text=error.text,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            cost_usd=error.cost_usd,
            latency_s=time.perf_counter() - started,
        )
    return Attempt(
        text=completion.text,
        prompt_tokens=completion.usage.prompt_tokens,
        completion_tokens=completion.usage.completion_tokens,
        cost_usd=completion.cost_usd,
        latency_s=completion.latency_s,
    )


@functools.cache
def json_schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with every ``$ref`` inlined.

    Some constrained-output backends (Gemini's OpenAI endpoint, older llama.cpp grammars) do not
    follow ``$defs`` references; the debate's schemas are small and not recursive, so inlining
    them costs nothing. Callers must not mutate the cached result.
    """
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str):
                rest = {key: value for key, value in node.items() if key != "$ref"}
                return {**inline(definitions[reference.rsplit("/", 1)[-1]]), **inline(rest)}
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(schema)


@dataclass(frozen=True, slots=True)
class StructuredResult(Generic[ModelT]):
    """The answer used (the model's, or the fallback when ``valid`` is False) and its cost."""

    value: ModelT
    valid: bool
    retried: bool
    attempt: Attempt


async def structured_call(
    llm: LLMClient,
    call: CallSettings,
    prompt: str,
    schema: type[ModelT],
    *,
    retry_prompt: Callable[[str, str], str],
    fallback: ModelT,
) -> StructuredResult[ModelT]:
    """Ask for a ``schema`` answer; one retry with ``retry_prompt(bad_text, problem)``.

    Provider errors (``LLMError`` other than an unreadable reply) propagate: a missing key or an
    exhausted quota is the caller's to report, not something to paper over with a fallback.
    """
    json_schema = json_schema_of(schema)
    first = await ask(llm, call, prompt, json_schema)
    reading: Reading[ModelT] = first_valid(first.text, schema.model_validate)
    if reading.value is not None:
        return StructuredResult(value=reading.value, valid=True, retried=False, attempt=first)

    second = await ask(llm, call, retry_prompt(first.text, reading.error or ""), json_schema)
    both = first + second
    reading = first_valid(second.text, schema.model_validate)
    if reading.value is not None:
        return StructuredResult(value=reading.value, valid=True, retried=True, attempt=both)
    return StructuredResult(value=fallback, valid=False, retried=True, attempt=both)
