"""Settings: the guide's names and defaults, and the rules production adds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from phiacta.config import Settings

SERVER = "postgresql+asyncpg://phiacta:secret@db.example:5432/phiacta"


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "ENVIRONMENT", "API_KEY_SALT", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_guide_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", SERVER)
    monkeypatch.setenv("API_KEY_SALT", "pepper")
    settings = Settings(_env_file=None)
    assert settings.environment == "production"
    assert (settings.log_level, settings.cors_origins) == ("info", [])
    assert (settings.embedding_model, settings.embedding_dimensions) == (
        "text-embedding-3-small", 1536,
    )  # fmt: skip
    assert (settings.database_pool_size, settings.database_max_overflow) == (20, 10)
    assert settings.database_pool_timeout == 30
    assert (settings.max_bundle_claims, settings.max_traversal_depth) == (500, 10)
    assert not settings.auto_migrate


def test_production_requires_the_api_key_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", SERVER)
    with pytest.raises(ValidationError, match="API_KEY_SALT is required in production"):
        Settings(_env_file=None)
    assert Settings(_env_file=None, environment="development").api_key_salt is None


def test_the_embedded_database_is_a_local_development_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(_env_file=None).environment == "development"
    monkeypatch.setenv("DATABASE_URL", " ")  # blank: still the embedded database
    assert Settings(_env_file=None).auto_migrate
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="API_KEY_SALT"):
        Settings(_env_file=None)


def test_cors_origins_is_a_json_array_and_never_a_wildcard_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", SERVER)
    monkeypatch.setenv("API_KEY_SALT", "pepper")
    monkeypatch.setenv("CORS_ORIGINS", '["http://localhost:3000", "https://app.example"]')
    settings = Settings(_env_file=None)
    assert settings.effective_cors_origins == ["http://localhost:3000", "https://app.example"]
    monkeypatch.setenv("CORS_ORIGINS", '["*"]')
    with pytest.raises(ValidationError, match="never"):
        Settings(_env_file=None)
    development = Settings(_env_file=None, environment="development")
    assert development.effective_cors_origins == ["*"] and development.auto_migrate


def test_embedding_dimension_follows_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMBEDDING_DIMENSIONS", "768")
    local = Settings(_env_file=None, environment="development")
    assert (local.effective_embedding_model, local.effective_embedding_dimensions) == (
        "all-MiniLM-L6-v2", 384,
    )  # fmt: skip
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    remote = Settings(_env_file=None, environment="development")
    assert remote.effective_embedding_dimensions == 768
    monkeypatch.setenv("EMBEDDING_DIMENSIONS", "3072")
    with pytest.raises(ValidationError):  # beyond what the HNSW index accepts
        Settings(_env_file=None, environment="development")


def test_limits_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_BUNDLE_CLAIMS", "0")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, environment="development")
