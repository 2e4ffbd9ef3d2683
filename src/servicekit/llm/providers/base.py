"""What the client expects of a provider."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, Protocol

from servicekit.llm.types import Message, ProviderChunk, ProviderReply


class Provider(Protocol):
    """One configured provider; the client keeps one instance per provider id."""

    async def complete(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
        json_schema: dict[str, Any] | None,
    ) -> ProviderReply:
        """One attempt; raise ``LLMError`` subclasses only (the client retries transient ones)."""
        ...

    def stream(
        self,
        model_name: str,
        messages: list[Message],
        *,
        temperature: float,
        max_tokens: int,
    ) -> AsyncGenerator[ProviderChunk, None]:
        """One streamed attempt: non-empty text deltas, then the ``ProviderReply``.

        An async generator: closing it (the consumer went away) must stop the generation and
        release the connection. Errors are ``LLMError`` subclasses, as for ``complete``.
        """
        ...

    async def aclose(self) -> None:
        """Release connections or other resources."""
        ...
