"""Every OpenAI-compatible chat endpoint, through the ``openai`` SDK.

One table says, per provider id, whether a key and a base URL are required; the values come from
``LLMSettings`` fields named ``<provider>_api_key`` and ``<provider>_base_url``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import openai

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


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How a provider id is configured."""

    key_required: bool
    base_url_required: bool = False
    # OpenAI itself has replaced max_tokens by max_completion_tokens (its reasoning models reject
    # the former); most compatible servers only know max_tokens.
    max_tokens_field: str = "max_tokens"
    # How a JSON schema is asked for: OpenAI's ``json_schema`` response format, or the
    # ``json_object`` + ``schema`` form that llama.cpp servers (C++ and Python) turn into a grammar.
    schema_format: Literal["json_schema", "json_object"] = "json_schema"


ENDPOINTS: dict[str, Endpoint] = {
    "openai": Endpoint(key_required=True, max_tokens_field="max_completion_tokens"),
    "mistral": Endpoint(key_required=True),
    "deepseek": Endpoint(key_required=True),
    "gemini": Endpoint(key_required=True),
    "grok": Endpoint(key_required=True),
    "ollama": Endpoint(key_required=False),
    "vllm": Endpoint(key_required=False, base_url_required=True),
    "llamacpp": Endpoint(key_required=False, base_url_required=True, schema_format="json_object"),
}

# Self-hosted servers started without --api-key ignore the header, but the SDK insists on one.
_NO_KEY = "no-key"

# OpenAI's reasoning models accept only their default temperature and fail on any other value.
_FIXED_TEMPERATURE_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def missing_setting(provider: str, settings: LLMSettings) -> str | None:
    """The env var ``provider`` still needs, or None when it is configured."""
    endpoint = ENDPOINTS[provider]
    if endpoint.key_required and getattr(settings, f"{provider}_api_key", None) is None:
        return f"{provider.upper()}_API_KEY"
    if endpoint.base_url_required and not getattr(settings, f"{provider}_base_url", None):
        return f"{provider.upper()}_BASE_URL"
    return None


class OpenAICompatibleProvider:
    """Chat completions against one OpenAI-compatible base URL."""

    def __init__(self, provider: str, settings: LLMSettings) -> None:
        missing = missing_setting(provider, settings)
        if missing is not None:
            raise ProviderNotConfigured.needs(provider, missing)
        self._provider = provider
        self._endpoint = ENDPOINTS[provider]
        key = getattr(settings, f"{provider}_api_key", None)
        # The SDK's own retries are off: the client's policy retries every provider alike.
        self._client = openai.AsyncOpenAI(
            api_key=key.get_secret_value() if key is not None else _NO_KEY,
            base_url=getattr(settings, f"{provider}_base_url"),
            max_retries=0,
        )

    async def complete(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
        json_schema: dict[str, Any] | None,
    ) -> ProviderReply:
        request = self._request(model_name, messages, temperature, max_tokens, json_schema)
        try:
            response = await self._client.chat.completions.create(**request)
        except openai.APIError as error:
            raise self._translate(error) from error
        if not response.choices:
            raise LLMResponseError(f"provider {self._provider!r} returned no choices")
        choice = response.choices[0]
        usage = response.usage
        return ProviderReply(
            text=choice.message.content or "",
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
            finish_reason=choice.finish_reason,
        )

    async def stream(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
    ) -> AsyncGenerator[ProviderChunk, None]:
        request = self._request(model_name, messages, temperature, max_tokens, None)
        # Without include_usage a stream reports no tokens at all; servers that know the option
        # send one last chunk with the usage and no choices.
        request["stream_options"] = {"include_usage": True}
        try:
            response = await self._client.chat.completions.create(**request, stream=True)
        except openai.APIError as error:
            raise self._translate(error) from error
        parts: list[str] = []
        usage: Usage | None = None
        finish_reason: str | None = None
        async with response:  # closes the connection however the stream ends
            try:
                async for chunk in response:
                    if chunk.usage is not None:
                        usage = Usage(
                            prompt_tokens=chunk.usage.prompt_tokens,
                            completion_tokens=chunk.usage.completion_tokens,
                        )
                    for choice in chunk.choices:
                        if choice.index != 0:
                            continue
                        if choice.finish_reason is not None:
                            finish_reason = choice.finish_reason
                        if choice.delta.content:
                            parts.append(choice.delta.content)
                            yield choice.delta.content
            except (openai.APIConnectionError, httpx.TransportError) as error:
                if isinstance(error, openai.APITimeoutError | httpx.TimeoutException):
                    raise LLMTimeout(f"provider {self._provider!r} timed out") from error
                raise LLMUnavailable(f"provider {self._provider!r} broke off the stream") from error
            except openai.APIError as error:  # e.g. an error the server sent as a chunk
                raise self._translate(error) from error
        yield ProviderReply(
            text="".join(parts), usage=usage or Usage(), finish_reason=finish_reason
        )

    def _request(
        self,
        model_name: str,
        messages: list[Message],
        temperature: float,
        max_tokens: int,
        json_schema: dict[str, Any] | None,
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": model_name,
            "messages": messages,
            self._endpoint.max_tokens_field: max_tokens,
        }
        if not (self._provider == "openai" and model_name.startswith(_FIXED_TEMPERATURE_PREFIXES)):
            request["temperature"] = temperature
        if json_schema is not None:
            request["response_format"] = (
                {"type": "json_object", "schema": json_schema}
                if self._endpoint.schema_format == "json_object"
                else {
                    "type": "json_schema",
                    "json_schema": {"name": "response", "schema": json_schema},
                }
            )
        return request

    def _translate(self, error: openai.APIError) -> LLMError:
        if isinstance(error, openai.APITimeoutError):
            return LLMTimeout(f"provider {self._provider!r} timed out")
        if isinstance(error, openai.APIConnectionError):
            return LLMUnavailable(f"provider {self._provider!r} unreachable: {error.message}")
        if isinstance(error, openai.APIStatusError):
            return error_for_status(
                self._provider,
                error.status_code,
                error.message,
                headers=error.response.headers,
                code=error.code,
            )
        return LLMResponseError(f"provider {self._provider!r}: {error.message}")

    async def aclose(self) -> None:
        await self._client.close()
