"""``LLMClient``: the one entry point services use to call any model.

The client owns the policy common to every provider (message checks, timeout, retries, JSON
validation, timing, cost); providers only translate one attempt to and from their API. Settings are
passed in, never read from globals, so each service can give its own timeout or retry budget.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from servicekit.llm import pricing
from servicekit.llm.errors import LLMResponseError, UnknownModel
from servicekit.llm.providers import anthropic_messages, local, openai_compatible, scripted
from servicekit.llm.providers.anthropic_messages import AnthropicProvider
from servicekit.llm.providers.base import Provider
from servicekit.llm.providers.local import LocalProvider
from servicekit.llm.providers.openai_compatible import OpenAICompatibleProvider
from servicekit.llm.providers.scripted import ScriptedProvider
from servicekit.llm.retry import RetryPolicy, call_with_retries
from servicekit.llm.settings import LLMSettings
from servicekit.llm.streaming import LLMStream
from servicekit.llm.structured import check_schema, parse_reply
from servicekit.llm.types import Completion, Message, ModelRef, check_messages

PROVIDERS: tuple[str, ...] = (
    *openai_compatible.ENDPOINTS,
    "anthropic",
    "local",
    "scripted",
)

DEFAULT_MAX_TOKENS = 1024


def configured_providers(settings: LLMSettings) -> list[str]:
    """The provider ids usable right now, for UIs that offer only what works.

    Key-based providers count when their key is set, vLLM and llama.cpp when their base URL is.
    Ollama needs neither, but it counts only once ``OLLAMA_BASE_URL`` is set explicitly: its
    default URL says nothing about a server running there. ``local`` counts when its model can be
    loaded, ``scripted`` only while a test has installed a script.
    """
    ready: list[str] = []
    for provider in openai_compatible.ENDPOINTS:
        if openai_compatible.missing_setting(provider, settings) is not None:
            continue
        if provider == "ollama" and "ollama_base_url" not in settings.model_fields_set:
            continue
        ready.append(provider)
    if anthropic_messages.is_configured(settings):
        ready.append("anthropic")
    if local.is_configured(settings):
        ready.append("local")
    if scripted.installed_scripts():
        ready.append("scripted")
    return ready


class LLMClient:
    """Completions from any configured provider, with one request and one result shape, whole
    (``complete``) or streamed as they are generated (``stream``).

    ``timeout`` and ``max_retries`` override the settings' ``LLM_TIMEOUT_SECONDS`` and
    ``LLM_MAX_RETRIES``. Provider connections are opened on first use; close the client with
    ``aclose()`` or ``async with``.
    """

    def __init__(
        self,
        settings: LLMSettings | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry_initial_delay: float = 0.5,
    ) -> None:
        self.settings = settings if settings is not None else LLMSettings()
        self.timeout = timeout if timeout is not None else self.settings.llm_timeout_seconds
        self.retry_policy = RetryPolicy(
            max_retries=max_retries if max_retries is not None else self.settings.llm_max_retries,
            initial_delay_s=retry_initial_delay,
        )
        self._price_overrides = {
            key: pricing.Price(*price) for key, price in self.settings.llm_prices.items()
        }
        self._providers: dict[str, Provider] = {}

    def configured_providers(self) -> list[str]:
        return configured_providers(self.settings)

    async def complete(
        self,
        messages: list[Message],
        *,
        model: str,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        json_schema: dict[str, Any] | None = None,
        # Per attempt, like the SDKs' own timeout: an asyncio.timeout around the whole call could
        # not tell a stalled attempt (worth retrying) from a slow call.
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Completion:
        """Ask ``model`` (``"provider/model_name"``) to continue ``messages``.

        With ``json_schema`` the reply is constrained to JSON where the provider can do it, then
        parsed and validated into ``Completion.data``; ``LLMResponseError`` says what was wrong
        when the model returned something else. ``timeout`` bounds each attempt; transient
        failures are retried with backoff; errors are ``LLMError`` subclasses.
        """
        ref = ModelRef.parse(model)
        check_messages(messages)
        if json_schema is not None:
            check_schema(json_schema)
        provider = self._provider(ref.provider)
        limit = timeout if timeout is not None else self.timeout

        started = time.perf_counter()
        reply = await call_with_retries(
            lambda: provider.complete(
                ref.name,
                messages,
                temperature=temperature,
                max_tokens=max_tokens,
                json_schema=json_schema,
            ),
            attempt_timeout=limit,
            policy=self.retry_policy,
        )
        latency = time.perf_counter() - started

        cost = pricing.estimate_cost(ref, reply.usage, self._price_overrides)
        try:
            data = parse_reply(reply.text, json_schema) if json_schema is not None else None
        except LLMResponseError as error:
            error.usage, error.cost_usd = reply.usage, cost  # a rejected reply is still paid for
            raise
        return Completion(
            text=reply.text,
            model=str(ref),
            usage=reply.usage,
            latency_s=latency,
            cost_usd=cost,
            finish_reason=reply.finish_reason,
            data=data,
        )

    def stream(
        self,
        messages: list[Message],
        *,
        model: str,
        temperature: float = 0.0,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        timeout: float | None = None,  # per attempt, as for complete
        first_token_timeout: float | None = None,
    ) -> LLMStream:
        """Ask like ``complete``, but read the reply as text deltas while it is generated.

        Iterate the returned ``LLMStream`` (preferably inside ``async with`` so that leaving early
        stops the generation); its ``completion`` has usage, cost and finish reason at the end.
        ``timeout`` bounds each attempt, ``first_token_timeout`` (default: ``timeout``) its wait
        for the first delta; only failures before that first delta are retried. JSON output is
        not streamed: use ``complete`` with ``json_schema``.
        """
        ref = ModelRef.parse(model)
        check_messages(messages)
        provider = self._provider(ref.provider)
        limit = timeout if timeout is not None else self.timeout
        return LLMStream(
            lambda: provider.stream(
                ref.name, messages, temperature=temperature, max_tokens=max_tokens
            ),
            ref=ref,
            timeout=limit,
            first_token_timeout=first_token_timeout if first_token_timeout is not None else limit,
            policy=self.retry_policy,
            prices=self._price_overrides,
        )

    def _provider(self, provider_id: str) -> Provider:
        """The cached provider instance; ProviderNotConfigured (not cached) when it lacks setup."""
        provider = self._providers.get(provider_id)
        if provider is None:
            provider = self._providers[provider_id] = self._build(provider_id)
        return provider

    def _build(self, provider_id: str) -> Provider:
        if provider_id in openai_compatible.ENDPOINTS:
            return OpenAICompatibleProvider(provider_id, self.settings)
        if provider_id == "anthropic":
            return AnthropicProvider(self.settings)
        if provider_id == "local":
            return LocalProvider(self.settings)
        if provider_id == "scripted":
            return ScriptedProvider()
        raise UnknownModel(
            f"unknown LLM provider {provider_id!r}; known providers: {', '.join(PROVIDERS)}"
        )

    async def aclose(self) -> None:
        providers, self._providers = list(self._providers.values()), {}
        for provider in providers:
            await provider.aclose()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
