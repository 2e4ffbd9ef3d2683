"""HTTP failures of a provider, as the kit's errors (shared by the SDK-based providers)."""

from __future__ import annotations

from collections.abc import Mapping

from servicekit.llm.errors import (
    LLMError,
    LLMQuotaExhausted,
    LLMRateLimited,
    LLMRequestRejected,
    LLMUnavailable,
)

# Error codes some providers send with a 429 when it is the account, not the pace, that is the
# problem (OpenAI's and compatible servers'): retrying cannot succeed.
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})


def error_for_status(
    provider: str,
    status_code: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    code: str | None = None,
) -> LLMError:
    """The kit's error for an HTTP error status, transient or not as the status implies."""
    text = f"provider {provider!r} answered HTTP {status_code}: {message}"
    if status_code == 402 or (status_code == 429 and code in _QUOTA_CODES):
        return LLMQuotaExhausted(text)
    if status_code == 429:
        return LLMRateLimited(text, retry_after=retry_after_seconds(headers or {}))
    if status_code >= 500:
        return LLMUnavailable(text)
    return LLMRequestRejected(text, status_code=status_code)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The server's ``retry-after-ms`` / ``retry-after`` hint in seconds (date forms ignored)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(float(value) / scale, 0.0)
        except ValueError:
            continue
    return None
