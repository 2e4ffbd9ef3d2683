"""Anthropic's Messages API, through the ``anthropic`` SDK.

System turns go to the ``system`` parameter (the API has no system role). A JSON schema becomes a
single forced tool whose input schema it is: tool input is the most reliable way to get JSON that
follows a schema from every Claude model. Streams use the SDK's ``messages.stream``, whose final
message carries the usage and stop reason.

``temperature`` is no longer a parameter of the SDK (1.0 removed it) and newer models reject it,
while older ones still honour it. It is therefore sent as an extra body field, and a model that
rejects it is remembered and asked again without it, so callers never need to know which is which.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar

import anthropic
import httpx
from anthropic.lib.streaming import AsyncMessageStream

from servicekit.llm.errors import (
    LLMError,
    LLMResponseError,
    LLMTimeout,
    LLMUnavailable,
    ProviderNotConfigured,
)
from servicekit.llm.providers.http_errors import error_for_status
from servicekit.llm.settings import LLMSettings
from servicekit.llm.types import Message, ProviderChunk, ProviderReply, Usage

T = TypeVar("T")

# A failure after the stream started arrives as an ``error`` event on a 200 response; its type
# says which HTTP status the same failure has before a stream starts.
_ERROR_EVENT_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}

_TOOL_NAME = "respond"
# Tool input must be an object; any other root type is wrapped under this property and unwrapped.
_WRAPPED = "value"


def is_configured(settings: LLMSettings) -> bool:
    return settings.anthropic_api_key is not None


class AnthropicProvider:
    """Messages API calls with the server's own key."""

    def __init__(self, settings: LLMSettings) -> None:
        if settings.anthropic_api_key is None:
            raise ProviderNotConfigured.needs("anthropic", "ANTHROPIC_API_KEY")
        # The SDK's own retries are off: the client's policy retries every provider alike.
        self._client = anthropic.AsyncAnthropic(
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            max_retries=0,
        )
        self._without_temperature: set[str] = set()

    async def complete(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
        json_schema: dict[str, Any] | None,
    ) -> ProviderReply:
        request = _request(model_name, messages, max_tokens)
        wrapped = json_schema is not None and json_schema.get("type") != "object"
        if json_schema is not None:
            input_schema = (
                {"type": "object", "properties": {_WRAPPED: json_schema}, "required": [_WRAPPED]}
                if wrapped
                else json_schema
            )
            request["tools"] = [
                {
                    "name": _TOOL_NAME,
                    "description": "Give the answer as this tool's input.",
                    "input_schema": input_schema,
                }
            ]
            request["tool_choice"] = {"type": "tool", "name": _TOOL_NAME}
        response = await self._with_temperature(
            lambda **extra: self._client.messages.create(**request, **extra),
            model_name,
            temperature,
        )

        text = "".join(block.text for block in response.content if block.type == "text")
        if json_schema is not None:
            tool_input = next(
                (block.input for block in response.content if block.type == "tool_use"), None
            )
            if tool_input is None:
                raise LLMResponseError("the model answered without the requested JSON", text=text)
            if wrapped and isinstance(tool_input, dict):
                tool_input = tool_input.get(_WRAPPED)
            text = json.dumps(tool_input)
        return ProviderReply(
            text=text, usage=_usage(response.usage), finish_reason=response.stop_reason
        )

    async def stream(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
    ) -> AsyncGenerator[ProviderChunk, None]:
        request = _request(model_name, messages, max_tokens)
        # Entering the SDK's stream manager sends the request: a rejected temperature shows up
        # there, before any event, so the same fallback as for ``create`` applies.
        stream: AsyncMessageStream[Any] = await self._with_temperature(
            lambda **extra: self._client.messages.stream(**request, **extra).__aenter__(),
            model_name,
            temperature,
        )
        async with stream:  # closes the connection however the stream ends
            try:
                async for event in stream:
                    if event.type == "text" and event.text:
                        yield event.text
                message = await stream.get_final_message()
            except (anthropic.APIConnectionError, httpx.TransportError) as error:
                if isinstance(error, anthropic.APITimeoutError | httpx.TimeoutException):
                    raise LLMTimeout("provider 'anthropic' timed out") from error
                raise LLMUnavailable("provider 'anthropic' broke off the stream") from error
            except anthropic.APIError as error:  # e.g. an ``error`` event (overloaded_error)
                raise _translate(error) from error
        text = "".join(block.text for block in message.content if block.type == "text")
        yield ProviderReply(
            text=text, usage=_usage(message.usage), finish_reason=message.stop_reason
        )

    async def _with_temperature(
        self, call: Callable[..., Awaitable[T]], model_name: str, temperature: float
    ) -> T:
        """``call()`` with the temperature, or without it for a model known to reject it."""
        if model_name not in self._without_temperature:
            try:
                return await call(extra_body={"temperature": temperature})
            except anthropic.BadRequestError as error:
                if "temperature" not in str(error.api_message or "").lower():
                    raise _translate(error) from error
                self._without_temperature.add(model_name)
            except anthropic.APIError as error:
                raise _translate(error) from error
        try:
            return await call()
        except anthropic.APIError as error:
            raise _translate(error) from error

    async def aclose(self) -> None:
        await self._client.close()


def _request(model_name: str, messages: list[Message], max_tokens: int) -> dict[str, Any]:
    request: dict[str, Any] = {
        "model": model_name,
        "messages": [
            {"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"
        ],
        "max_tokens": max_tokens,
    }
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    if system:
        request["system"] = system
    return request


def _usage(usage: anthropic.types.Usage) -> Usage:
    return Usage(
        prompt_tokens=usage.input_tokens
        + (usage.cache_creation_input_tokens or 0)
        + (usage.cache_read_input_tokens or 0),
        completion_tokens=usage.output_tokens,
    )


def _translate(error: anthropic.APIError) -> LLMError:
    if isinstance(error, anthropic.APITimeoutError):
        return LLMTimeout("provider 'anthropic' timed out")
    if isinstance(error, anthropic.APIConnectionError):
        return LLMUnavailable(f"provider 'anthropic' unreachable: {error.message}")
    if isinstance(error, anthropic.APIStatusError):
        status = error.status_code
        if status < 400 and isinstance(error.body, dict):  # an ``error`` event mid-stream
            kind = (error.body.get("error") or {}).get("type")
            status = _ERROR_EVENT_STATUS.get(kind, 500)
        return error_for_status(
            "anthropic",
            status,
            error.api_message or error.message,
            headers=error.response.headers,
        )
    return LLMResponseError(f"provider 'anthropic': {error.message}")
