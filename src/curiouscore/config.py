"""CuriousCore's settings: the deployment guide's variables, names and defaults.

Provider keys (``ANTHROPIC_API_KEY``, ``OPENAI_API_KEY``, ``GEMINI_API_KEY`` and every other
provider of the kit) come from the kit's ``LLMSettings``. ``DATABASE_URL`` unset means the suite's
embedded PostgreSQL; the guide's SQLite development URL is refused, since there is one engine.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, field_validator, model_validator

from servicekit.auth import TokenSettings
from servicekit.config import CommaList, generated_secret
from servicekit.llm import LLMSettings

# The model each key of the guide selects when DEFAULT_LLM_PROVIDER/MODEL are not set, in the
# guide's order of preference: setting one key is enough to give the Game Master a voice.
KEY_DEFAULT_MODELS = (
    ("anthropic_api_key", "anthropic/claude-sonnet-4-5-20250929"),
    ("openai_api_key", "openai/gpt-4o-mini"),
    ("gemini_api_key", "gemini/gemini-2.5-flash"),
)

SQLITE_REFUSED = (
    "DATABASE_URL points at SQLite, which CuriousCore does not support: leave DATABASE_URL "
    "unset for the embedded PostgreSQL (development), or give a postgresql+asyncpg:// URL."
)


class Settings(LLMSettings):
    database_url: str | None = None
    redis_url: str | None = None
    """Optional: share rate-limit counters between replicas (else per process)."""

    secret_key: SecretStr | None = None
    """Required in production; in development a generated key kept under ``SUITE_HOME``."""
    algorithm: str = "HS256"
    access_token_expire_minutes: int = Field(default=30, ge=1)
    refresh_token_expire_days: int = Field(default=14, ge=1)

    cors_origins: CommaList = Field(
        default_factory=lambda: ["http://localhost:8080", "http://localhost:5173"]
    )
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)

    # LLM roles (guide: "LLM Configuration").
    default_llm_provider: str | None = None
    default_llm_model: str | None = None
    llm_max_requests_per_minute: int = Field(default=60, ge=1)
    llm_max_requests_per_day: int = Field(default=2000, ge=1)
    """A learner's daily LLM budget (the minute limit alone still allows 86,400 calls a day)."""
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    llm_max_retries: int = Field(default=1, ge=0)

    # Game rules that are policy, not content.
    snapshot_every: int = Field(default=5, ge=1)
    max_hints_per_step: int = Field(default=3, ge=0)
    hint_penalty_percent: int = Field(default=10, ge=0, le=100)
    max_failed_evaluations: int = Field(default=2, ge=1)
    """After this many CHAT evaluations lost to an LLM failure, the learner may move on."""
    max_answer_chars: int = Field(default=5000, ge=1)
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    """Larger request bodies get 413 before they are read (the biggest, a challenge, is ~100 KB)."""

    auth_rate_limit: str = "10/minute"
    """Register, login and refresh attempts per client IP; ``;`` separates limits."""

    @field_validator("database_url")
    @classmethod
    def _no_sqlite(cls, url: str | None) -> str | None:
        if url and url.strip().lower().startswith("sqlite"):
            raise ValueError(SQLITE_REFUSED)
        return url or None

    @model_validator(mode="after")
    def _production_secret(self) -> Settings:
        if self.is_production and self.secret_key is None:
            raise ValueError("SECRET_KEY must be set in production")
        return self

    @property
    def default_model(self) -> str | None:
        """``provider/model`` used where a challenge names none; None: no LLM configured.

        ``DEFAULT_LLM_PROVIDER`` + ``DEFAULT_LLM_MODEL`` (or a ``provider/model`` in the
        latter) win; otherwise the first provider key of the guide that is set.
        """
        if self.default_llm_provider and self.default_llm_model:
            return f"{self.default_llm_provider}/{self.default_llm_model}"
        if self.default_llm_model and "/" in self.default_llm_model:
            return self.default_llm_model
        for key, model in KEY_DEFAULT_MODELS:
            if getattr(self, key) is not None:
                return model
        return None

    def token_settings(self) -> TokenSettings:
        secret = self.secret_key or generated_secret("curiouscore", "secret_key")
        return TokenSettings(
            secret=secret,
            algorithm=self.algorithm,
            access_ttl=timedelta(minutes=self.access_token_expire_minutes),
            refresh_ttl=timedelta(days=self.refresh_token_expire_days),
            issuer="curiouscore",
        )
