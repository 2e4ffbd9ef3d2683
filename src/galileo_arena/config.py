"""Galileo Arena's settings: the deployment guide's variables, names and defaults.

Provider keys (``OPENAI_API_KEY`` ... ``GROK_API_KEY``) come from the kit's ``LLMSettings``: they
are read from the server's environment or ``.env`` only. A request names a model, never a secret.

``DATABASE_URL`` unset means the suite's embedded PostgreSQL. The guide's default URL
(``postgresql+asyncpg://galileo:galileo_pass@localhost:5432/galileo_arena``) is what its Docker
Compose file and our ``.env.example`` set for a server of your own.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from galileo_arena.core.scoring import MLThresholds
from servicekit.config import CommaList
from servicekit.llm import LLMSettings


class Settings(LLMSettings):
    database_url: str | None = None

    # Prompts and result cache.
    prompt_version: str = "v1"
    store_result: bool = False
    cache_results: int = Field(default=4, ge=1)
    cache_ttl_hours: float = Field(default=24.0, gt=0)
    cache_replay_max_seconds: float = Field(default=45.0, ge=0)
    """A replayed (case, model) pair is spread over at most this long, like the original."""

    # ML scoring (guide §8d).
    ml_scoring_enabled: bool = True
    ml_models_dir: Path = Path("models")
    onnx_intra_threads: int = Field(default=2, ge=1)
    ml_max_workers: int = Field(default=2, ge=1)
    ml_nli_max_tokens: int = Field(default=384, ge=64, le=512)
    ml_falsifiable_threshold: float = Field(default=0.45, ge=0, le=1)
    ml_deference_threshold_low: float = Field(default=0.4, ge=0, le=1)
    ml_deference_threshold_mid: float = Field(default=0.6, ge=0, le=1)
    ml_deference_threshold_high: float = Field(default=0.8, ge=0, le=1)
    ml_refusal_threshold: float = Field(default=0.6, ge=0, le=1)

    # Runs.
    max_concurrent_debates: int = Field(default=4, ge=1)
    """Debates running at once in this process, across all runs (each run has its own limit)."""
    max_run_concurrency: int = Field(default=8, ge=1)
    max_run_cases: int = Field(default=500, ge=1)
    max_run_models: int = Field(default=8, ge=1)
    debate_max_tokens: int = Field(default=600, ge=64)
    local_debate_max_tokens: int = Field(default=160, ge=8)
    """Per-call cap for the in-process ``local`` model: its whole transcript must fit the judge's
    context window (``LOCAL_LLM_CONTEXT``), and a 270M base model says nothing useful at length."""
    local_llm_context: int = Field(default=8192, ge=256)
    debate_timeout_seconds: float = Field(default=900.0, gt=0)
    structured_output: Literal["auto", "json", "toml"] = "auto"
    judge_model: str | None = None
    """An independent judge (``provider/model``) for every run that does not name one."""
    run_lease_seconds: float = Field(default=30.0, ge=2)
    """How long a run stays claimed by a process that stopped renewing it (a crash)."""
    executor_poll_seconds: float = Field(default=2.0, gt=0)

    rate_limit_runs: str = "10/minute"
    """Runs a client (IP) may create: each one spends provider money. ``;`` separates limits."""
    redis_url: str | None = None
    """Optional: share rate-limit counters between workers and replicas (else per process)."""

    # Datasets and access.
    datasets_dir: Path | None = None
    """Extra dataset files, loaded beside the built-in ones and reloaded when they change."""
    admin_api_key: SecretStr | None = None
    """Needed (``X-Admin-Key``) to import datasets over HTTP in production."""
    cors_origins: CommaList = Field(default_factory=lambda: ["*"])

    @field_validator("ml_deference_threshold_high")
    @classmethod
    def _ordered_bands(cls, high: float, info: object) -> float:
        data = getattr(info, "data", {})
        low, mid = data.get("ml_deference_threshold_low"), data.get("ml_deference_threshold_mid")
        if low is not None and mid is not None and not low <= mid <= high:
            raise ValueError(
                "ML_DEFERENCE_THRESHOLD_LOW <= ML_DEFERENCE_THRESHOLD_MID <= "
                "ML_DEFERENCE_THRESHOLD_HIGH must hold"
            )
        return high

    @property
    def debug_mode(self) -> bool:
        return self.log_level.upper() == "DEBUG"

    @cached_property
    def ml_thresholds(self) -> MLThresholds:
        return MLThresholds(
            falsifiable=self.ml_falsifiable_threshold,
            deference_low=self.ml_deference_threshold_low,
            deference_mid=self.ml_deference_threshold_mid,
            deference_high=self.ml_deference_threshold_high,
            refusal=self.ml_refusal_threshold,
        )
