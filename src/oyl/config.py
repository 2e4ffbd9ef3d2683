"""Oyl's settings: the deployment guide's variables, names and defaults, and what the better
implementation adds (limits, quotas, retrieval, models).

``DATABASE_URL`` / ``REDIS_URL`` unset mean the suite's embedded PostgreSQL and Redis;
``CHROMA_HOST`` unset means an embedded, persistent Chroma under ``DATA_DIR``. Provider keys
(``OPENAI_API_KEY``...) and the embedding provider (``EMBEDDING_*``) come from the kit's settings.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from servicekit.config import CommaList, generated_secret, suite_home
from servicekit.embeddings import EmbeddingSettings, Precision
from servicekit.llm import LLMSettings
from servicekit.logging import get_logger

log = get_logger("oyl.config")

DEFAULT_MODEL = "local/gemma-3-270m"


class Settings(LLMSettings, EmbeddingSettings):
    # The guide's variables.
    app_name: str = "Oyl RAG Platform"
    app_version: str = "0.1.0"
    debug: bool = False
    database_url: str | None = None
    redis_url: str | None = None
    chroma_host: str | None = None
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    secret_key: SecretStr | None = None
    algorithm: str = "HS256"
    access_token_expire_minutes: int = Field(default=60, ge=1)
    rate_limit_requests_per_minute: int = Field(default=60, ge=1)
    rate_limit_burst: int = Field(default=10, ge=1)

    # Where files and the embedded Chroma live (default: the suite's data directory).
    data_dir: Path | None = None
    cors_origins: CommaList = Field(default_factory=lambda: ["*"])

    # Bootstrap: the platform administrator, created (or updated) at start when both are set.
    platform_admin_email: str | None = None
    platform_admin_password: SecretStr | None = None

    # Ingestion.
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1)
    chunk_size: int = Field(default=1000, ge=50)
    chunk_overlap: int = Field(default=200, ge=0)
    ingest_time_limit: float = Field(default=1800.0, gt=0)
    # The local encoder in INT8 by default: twice the ingestion speed, and on the quality set
    # the same recall@5 as fp32 (bench/oyl.py measures both); EMBEDDING_PRECISION=fp32 restores it.
    embedding_precision: Precision = Precision.int8

    # Retrieval and answers.
    max_retrieved_chunks: int = Field(default=5, ge=1, le=50)
    retrieval_min_score: float = Field(default=0.25, ge=-1.0, le=1.0)
    """Cosine similarity a chunk needs to count as found (below: "not found")."""
    fast_model: str = DEFAULT_MODEL
    reasoning_model: str = DEFAULT_MODEL
    answer_max_tokens: int = Field(default=800, ge=16)
    history_turns: int = Field(default=6, ge=0, le=50)

    # Default quotas of a new tenant (each tenant's own values can be changed).
    default_max_documents: int = Field(default=10_000, ge=0)
    default_max_storage_bytes: int = Field(default=5 * 1024**3, ge=0)
    default_max_tokens_per_day: int = Field(default=2_000_000, ge=0)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("CHUNK_OVERLAP must be smaller than CHUNK_SIZE")
        if self.is_production and self.secret_key is None:
            raise ValueError("SECRET_KEY must be set when ENVIRONMENT=production")
        return self

    @property
    def storage_root(self) -> Path:
        return (self.data_dir or suite_home() / "oyl").expanduser().resolve()

    def signing_key(self) -> SecretStr:
        """``SECRET_KEY``, or the development key kept in the data directory."""
        if self.secret_key is not None:
            return self.secret_key
        log.warning("SECRET_KEY is not set: using a generated development key")
        return generated_secret("oyl", "secret_key")
