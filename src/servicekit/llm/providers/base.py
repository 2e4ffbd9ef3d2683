"""What the client expects of a provider."""

from __future__ import annotations

from typing import Any, Protocol

from servicekit.llm.types import Message, ProviderReply


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

    async def aclose(self) -> None:
        """Release connections or other resources."""
        ...
