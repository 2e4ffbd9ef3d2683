"""The errors every LLM call can raise, whatever the provider.

Services catch these instead of each SDK's own exceptions, so that switching a model from OpenAI to
Anthropic or to the local model never changes error handling. ``transient`` says whether trying the
same request again may succeed; the retry policy reads only that flag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from servicekit.llm.types import Usage


class LLMError(Exception):
    """Base of every error raised by ``servicekit.llm``."""

    transient: bool = False


class UnknownModel(LLMError, ValueError):
    """The model id is not ``provider/model_name`` with a provider this kit knows."""


class ProviderNotConfigured(LLMError):
    """The provider lacks what it needs (an API key, a base URL, an optional package)."""

    @classmethod
    def needs(cls, provider: str, env_var: str) -> ProviderNotConfigured:
        """The error for a missing env var, worded the same for every provider."""
        return cls(
            f"provider {provider!r} needs {env_var}; set it in the environment or .env",
        )


class LLMTimeout(LLMError):
    """One attempt took longer than the call's timeout."""

    transient = True


class LLMUnavailable(LLMError):
    """The provider could not be reached or failed on its side (connection error, HTTP 5xx)."""

    transient = True


class LLMRateLimited(LLMError):
    """The provider asked us to slow down (HTTP 429); ``retry_after`` is its hint in seconds."""

    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LLMQuotaExhausted(LLMError):
    """The account has no credit or quota left: waiting will not help, so it is not retried."""


class LLMRequestRejected(LLMError):
    """The provider refused the request itself (HTTP 4xx other than 429: bad key, bad model...)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class LLMResponseError(LLMError):
    """The model answered, but not in the shape asked for (invalid JSON, schema mismatch...).

    ``text`` keeps the raw reply so that callers can log it, show it or parse it leniently;
    ``usage`` and ``cost_usd`` what the rejected reply still cost (set by the client).
    """

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.text = text
        self.usage: Usage | None = None
        self.cost_usd = 0.0
