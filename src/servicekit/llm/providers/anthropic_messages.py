"""Anthropic's Messages API, through the ``anthropic`` SDK.

System turns go to the ``system`` parameter (the API has no system role). A JSON schema becomes a
single forced tool whose input schema it is: tool input is the most reliable way to get JSON that
follows a schema from every Claude model.

``temperature`` is no longer a parameter of the SDK (1.0 removed it) and newer models reject it,
while older ones still honour it. It is therefore sent as an extra body field, and a model that
rejects it is remembered and asked again without it, so callers never need to know which is which.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic

from servicekit.llm.errors import (
    LLMError,
    LLMResponseError,
    LLMTimeout,
    LLMUnavailable,
    ProviderNotConfigured,
)
from servicekit.llm.providers.http_errors import error_for_status
from servicekit.llm.settings import LLMSettings
from servicekit.llm.types import Message, ProviderReply, Usage

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
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        request: dict[str, Any] = {
            "model": model_name,
            "messages": [
                {"role": m["role"], "content": m["content"]}
                for m in messages
                if m["role"] != "system"
            ],
            "max_tokens": max_tokens,
        }
        if system:
            request["system"] = system
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
        response = await self._create(request, model_name, temperature)

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
        usage = response.usage
        return ProviderReply(
            text=text,
            usage=Usage(
                prompt_tokens=usage.input_tokens
                + (usage.cache_creation_input_tokens or 0)
                + (usage.cache_read_input_tokens or 0),
                completion_tokens=usage.output_tokens,
            ),
            finish_reason=response.stop_reason,
        )

    async def _create(
        self, request: dict[str, Any], model_name: str, temperature: float
    ) -> anthropic.types.Message:
        if model_name not in self._without_temperature:
            try:
                return await self._client.messages.create(
                    **request, extra_body={"temperature": temperature}
                )
            except anthropic.BadRequestError as error:
                if "temperature" not in str(error.api_message or "").lower():
                    raise _translate(error) from error
                self._without_temperature.add(model_name)
            except anthropic.APIError as error:
                raise _translate(error) from error
        try:
            return await self._client.messages.create(**request)
        except anthropic.APIError as error:
            raise _translate(error) from error

    async def aclose(self) -> None:
        await self._client.close()


def _translate(error: anthropic.APIError) -> LLMError:
    if isinstance(error, anthropic.APITimeoutError):
        return LLMTimeout("provider 'anthropic' timed out")
    if isinstance(error, anthropic.APIConnectionError):
        return LLMUnavailable(f"provider 'anthropic' unreachable: {error.message}")
    if isinstance(error, anthropic.APIStatusError):
        return error_for_status(
            "anthropic",
            error.status_code,
            error.api_message or error.message,
            headers=error.response.headers,
        )
    return LLMResponseError(f"provider 'anthropic': {error.message}")
