"""ModelForge's settings: the deployment guide's variables, names and defaults.

``DATABASE_URL`` / ``REDIS_URL`` unset mean the suite's embedded PostgreSQL / Redis.
``SECRET_KEY`` signs access tokens, API-key hashes and the OAuth session cookie; production
refuses to start without it, while development generates one per data directory (so tokens
survive restarts) and says so in the log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr, model_validator
from pydantic_settings import NoDecode

from servicekit.config import ServiceSettings, generated_secret, split_list, suite_home
from servicekit.logging import get_logger

log = get_logger("modelforge.config")

GUIDE_MAX_MODEL_SIZE_BYTES = 104_857_600


def data_dir() -> Path:
    """Where ModelForge keeps its files inside the suite's data directory."""
    return suite_home() / "modelforge"


class Settings(ServiceSettings):
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: SecretStr | None = None
    cors_origins: Annotated[list[str] | None, NoDecode, BeforeValidator(split_list)] = None
    """None: ``*`` outside production, no cross-origin access in production."""
    max_model_size_bytes: int = Field(default=GUIDE_MAX_MODEL_SIZE_BYTES, ge=1)
    cache_model_ttl: int = Field(default=3600, ge=0)
    cache_prediction_ttl: int = Field(default=300, ge=0)
    job_retention_days: int = Field(default=7, ge=1)
    cache_prediction_enabled: bool = True
    cache_key_prefix: str = "modelforge:"
    inference_workers: int = Field(default=4, ge=1)
    """Threads running onnxruntime per process (inference never runs on the event loop)."""
    ort_intra_op_threads: int = Field(default=1, ge=0)
    """Threads inside one inference; 1 keeps concurrent requests from oversubscribing cores."""
    max_loaded_models: int = Field(default=16, ge=1)
    """Loaded ONNX sessions kept per process (least recently used dropped first)."""
    max_input_elements: int = Field(default=1_000_000, ge=1)
    """Values one input of a prediction may carry; larger requests get a 422."""
    hot_cache_ttl: float = Field(default=2.0, ge=0)
    """Seconds a worker process trusts its own memory of a verified credential (session not
    revoked, API token valid) and of a model resolved by id; the longest another process may
    still accept a revoked credential or serve a model as it was before a change. 0: off."""
    history_flush_interval_ms: float = Field(default=25.0, gt=0)
    """How long prediction history rows may wait in a process before their batch is written
    (what a crash can lose; what another process's history read may not see yet)."""
    github_id: str | None = None
    github_secret: SecretStr | None = None
    github_callback_url: str | None = None
    """The callback registered with the GitHub OAuth app; derived from the request when unset."""
    model_storage_path: Path | None = None
    api_prefix: str = "/api/v1"
    allow_registration: bool | None = None
    """Local sign-up; None: open outside production, only for the first (admin) user in it."""

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.is_production and self.secret_key is None:
            raise ValueError("SECRET_KEY must be set when ENVIRONMENT=production")
        return self

    @property
    def effective_cors_origins(self) -> list[str]:
        if self.cors_origins is not None:
            return self.cors_origins
        return [] if self.is_production else ["*"]

    @property
    def storage_path(self) -> Path:
        return (self.model_storage_path or data_dir() / "models").expanduser().resolve()

    @property
    def github_enabled(self) -> bool:
        return bool(self.github_id and self.github_secret)

    @property
    def registration_open(self) -> bool:
        if self.allow_registration is not None:
            return self.allow_registration
        return not self.is_production

    def signing_key(self) -> SecretStr:
        """``SECRET_KEY``, or the development key kept in the data directory."""
        if self.secret_key is not None:
            return self.secret_key
        log.warning("SECRET_KEY is not set: using a generated development key")
        return generated_secret("modelforge", "secret_key")
