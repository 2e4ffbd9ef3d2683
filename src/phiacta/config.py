"""Phiacta's settings: the deployment guide's variables (spec §9.1), names and defaults.

``DATABASE_URL`` unset means the suite's embedded PostgreSQL (with pgvector). ``ENVIRONMENT``
defaults to ``production`` as the guide says whenever ``DATABASE_URL`` is set (the guide makes it
required); on the embedded database, a local zero-configuration run, it defaults to
``development``, so the server and the CLI agree on the generated API key pepper.
``development`` allows every CORS origin, migrates on start, logs SQL at DEBUG and puts stack
traces in 500 answers.

Embeddings: with ``OPENAI_API_KEY`` the OpenAI model ``EMBEDDING_MODEL`` at
``EMBEDDING_DIMENSIONS`` embeds; without it the kit's local all-MiniLM-L6-v2 encoder does, and
the dimension follows it (384). Whichever applies must equal the width of ``claims.embedding``,
which the first migration created; start-up checks that and stops with a clear message if not.
"""

from __future__ import annotations

import limits
from pydantic import Field, SecretStr, field_validator, model_validator

from phiacta.outbound import OutboundPolicy
from servicekit.config import CommaList, Environment, ServiceSettings
from servicekit.embeddings.local_model import DIMENSION as LOCAL_DIMENSION
from servicekit.embeddings.local_model import MODEL_NAME as LOCAL_MODEL

# pgvector indexes `vector` columns of at most 2000 dimensions (the index is over halfvec, whose
# limit is 4000, but the column stays indexable as it is).
MAX_INDEXED_DIMENSIONS = 2000


class Settings(ServiceSettings):
    database_url: str | None = None
    openai_api_key: SecretStr | None = None
    environment: Environment = Environment.production
    log_level: str = "info"
    cors_origins: list[str] = Field(default_factory=list)
    """A JSON array (``["http://localhost:3000"]``); pydantic-settings decodes it."""
    api_key_salt: SecretStr | None = None
    """The pepper of API key hashes; required in production (every replica must agree)."""
    embedding_model: str = "text-embedding-3-small"
    embedding_dimensions: int = Field(default=1536, ge=1, le=MAX_INDEXED_DIMENSIONS)
    database_pool_size: int = Field(default=20, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    database_pool_timeout: float = Field(default=30.0, gt=0)
    max_bundle_claims: int = Field(default=500, ge=1)
    max_traversal_depth: int = Field(default=10, ge=1, le=100)
    max_request_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """Request bodies beyond this are refused with 413 (a full bundle is a few MiB)."""
    redis_url: str | None = None
    """Optional: shared rate-limit counters across replicas (memory in one process otherwise)."""
    pending_ref_ttl_days: int = Field(default=365, ge=1)
    """Pending references unresolved for this long are marked expired by `maintain`."""
    webhook_delivery: bool = True
    """Run the webhook delivery loop in this process (every replica may; they share the work)."""
    vector_index_maintenance: bool = True
    """Re-learn the vector index's lists from this process when the number of vectors has
    doubled or halved since they were learned (every replica may; one rebuilds at a time)."""
    extension_allowed_hosts: CommaList = Field(default_factory=list)
    """Internal hosts (names or CIDRs) that webhooks and health checks may call in production,
    where internal addresses are otherwise refused (``phiacta.outbound``)."""
    extension_health_checks: bool = True
    """Check registered extensions' ``health_check_url`` every minute from this process."""
    ws_ping_seconds: float = Field(default=30.0, gt=0)
    ws_max_connections_per_key: int = Field(default=10, ge=1)
    # Per API key and budget (spec §8.3's guide values); `;` separates several windows.
    rate_limit_reads: str = "300/minute"
    rate_limit_writes: str = "120/minute"
    rate_limit_bundles: str = "60/minute"
    rate_limit_queries: str = "120/minute"
    rate_limit_ingest: str = "20/minute"

    @field_validator("openai_api_key", "api_key_salt", "redis_url", "database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # Compose files pass `VAR=${VAR:-}`: an empty value means "not configured".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "rate_limit_reads",
        "rate_limit_writes",
        "rate_limit_bundles",
        "rate_limit_queries",
        "rate_limit_ingest",
    )
    @classmethod
    def _parseable_limits(cls, value: str) -> str:
        for part in value.split(";"):
            limits.parse(part)  # raises ValueError naming the bad part
        return value

    @model_validator(mode="before")
    @classmethod
    def _local_runs_default_to_development(cls, data: object) -> object:
        if not isinstance(data, dict) or "environment" in data:
            return data
        url = data.get("database_url")
        if isinstance(url, str) and url.strip():
            return data
        return {**data, "environment": Environment.development}

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if not self.is_production:
            return self
        if self.api_key_salt is None:
            raise ValueError(
                "API_KEY_SALT is required in production: it peppers the API key hashes and must "
                "be the same on every replica (changing it invalidates every key)"
            )
        if "*" in self.cors_origins:
            raise ValueError('CORS_ORIGINS must list origins in production, never "*"')
        return self

    @property
    def outbound_policy(self) -> OutboundPolicy:
        return OutboundPolicy(
            restrict_addresses=self.is_production,
            allowed_hosts=tuple(host.lower() for host in self.extension_allowed_hosts),
        )

    @property
    def uses_openai(self) -> bool:
        return self.openai_api_key is not None

    @property
    def effective_embedding_model(self) -> str:
        return self.embedding_model if self.uses_openai else LOCAL_MODEL

    @property
    def effective_embedding_dimensions(self) -> int:
        """The width every claim vector has: the local encoder's unless OpenAI is configured."""
        return self.embedding_dimensions if self.uses_openai else LOCAL_DIMENSION

    @property
    def effective_cors_origins(self) -> list[str]:
        return ["*"] if self.environment == Environment.development else self.cors_origins

    @property
    def auto_migrate(self) -> bool:
        return self.environment == Environment.development

    @property
    def log_sql(self) -> bool:
        return self.environment == Environment.development and self.log_level.lower() == "debug"
