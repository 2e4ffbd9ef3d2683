"""The values that go into and come out of an LLM call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from servicekit.llm.errors import UnknownModel

Role = Literal["system", "user", "assistant"]
ROLES: frozenset[str] = frozenset(("system", "user", "assistant"))


class Message(TypedDict):
    """One turn of a conversation, in the shape every provider SDK already uses."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A parsed ``provider/model_name`` id (the model name itself may contain slashes)."""

    provider: str
    name: str

    @classmethod
    def parse(cls, model: str) -> ModelRef:
        provider, sep, name = model.partition("/")
        if not sep or not provider or not name:
            raise UnknownModel(
                f"model {model!r} must be 'provider/model_name', e.g. 'openai/gpt-4o-mini'"
            )
        return cls(provider=provider.lower(), name=name)

    def __str__(self) -> str:
        return f"{self.provider}/{self.name}"


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens counted by the provider (or estimated where it counts none, see each provider)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class ProviderReply:
    """What a provider returns for one attempt, before the client adds timing and cost."""

    text: str
    usage: Usage
    finish_reason: str | None = None


# What a provider's stream yields: text deltas (never empty), then one ProviderReply whose text is
# the whole reply and whose usage and finish reason the client reports.
ProviderChunk = str | ProviderReply


@dataclass(frozen=True, slots=True)
class Completion:
    """The result of ``LLMClient.complete``, or of a stream once it has been read to the end.

    ``data`` holds the parsed JSON, already validated against the schema, when one was given.
    ``latency_s`` covers the whole call, retries included, as the caller experienced it.
    """

    text: str
    model: str
    usage: Usage
    latency_s: float
    cost_usd: float
    finish_reason: str | None = None
    data: Any = None


def check_messages(messages: list[Message]) -> None:
    """Fail early, with the index, on a malformed message instead of a provider's 400."""
    if not messages:
        raise ValueError("messages must not be empty")
    for index, message in enumerate(messages):
        if message.get("role") not in ROLES:
            raise ValueError(f"messages[{index}].role must be one of {sorted(ROLES)}")
        if not isinstance(message.get("content"), str):
            raise ValueError(f"messages[{index}].content must be a string")
