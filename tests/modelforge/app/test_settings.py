"""Settings: the guide's names and defaults, CORS forms, the secret key rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from modelforge.config import Settings, data_dir


def test_guide_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "CORS_ORIGINS", "MAX_MODEL_SIZE_BYTES", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.max_model_size_bytes == 104_857_600
    assert (settings.cache_model_ttl, settings.cache_prediction_ttl) == (3600, 300)
    assert settings.job_retention_days == 7
    assert settings.api_prefix == "/api/v1"
    assert settings.effective_cors_origins == ["*"]
    assert settings.database_url is None and settings.redis_url is None
    assert settings.storage_path == (data_dir() / "models").resolve()
    assert not settings.github_enabled


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAX_MODEL_SIZE_BYTES", "1024")
    monkeypatch.setenv("CACHE_PREDICTION_TTL", "60")
    monkeypatch.setenv("JOB_RETENTION_DAYS", "30")
    monkeypatch.setenv("GITHUB_ID", "Iv1.abc")
    monkeypatch.setenv("GITHUB_SECRET", "shh")
    monkeypatch.setenv("MODEL_STORAGE_PATH", str(tmp_path))
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    settings = Settings(_env_file=None)
    assert settings.max_model_size_bytes == 1024
    assert settings.cache_prediction_ttl == 60 and settings.job_retention_days == 30
    assert settings.github_enabled
    assert settings.storage_path == tmp_path.resolve()
    assert settings.effective_cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("CORS_ORIGINS", '["https://c.example"]')  # upstream's JSON form
    assert Settings(_env_file=None).effective_cors_origins == ["https://c.example"]


def test_production_needs_a_secret_key_and_has_no_wildcard_cors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("CORS_ORIGINS", raising=False)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production")
    settings = Settings(_env_file=None, environment="production", secret_key="k" * 40)
    assert settings.effective_cors_origins == []
    assert not settings.registration_open
    assert settings.signing_key().get_secret_value() == "k" * 40


def test_development_key_is_generated_once_per_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = Settings(_env_file=None).signing_key().get_secret_value()
    second = Settings(_env_file=None).signing_key().get_secret_value()
    assert first == second and len(first) >= 32
    assert (data_dir() / "secret_key").stat().st_mode & 0o077 == 0
