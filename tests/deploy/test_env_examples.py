"""Each service's ``deploy/env/<service>/.env.example`` lists exactly what its Settings reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from .catalog import SERVICES, Service, settings_class, settings_env_names
from .envfile import mismatch, read_env_example

# The values each guide documents for its variables (the examples must carry them).
GUIDE_VALUES = {
    "galileo": {
        "DATABASE_URL": "postgresql+asyncpg://galileo:galileo_pass@localhost:5432/galileo_arena",
        "LOG_LEVEL": "INFO",
        "ML_SCORING_ENABLED": "true",
        "ML_MODELS_DIR": "models",
    },
    "modelforge": {
        "MAX_MODEL_SIZE_BYTES": "104857600",
        "CACHE_MODEL_TTL": "3600",
        "CACHE_PREDICTION_TTL": "300",
        "JOB_RETENTION_DAYS": "7",
    },
    "phiacta": {
        "DATABASE_URL": "postgresql+asyncpg://newpub:devpassword@localhost:5432/phiacta",
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "debug",
        "LOG_FORMAT": "console",
        "EMBEDDING_MODEL": "text-embedding-3-small",
        "EMBEDDING_DIMENSIONS": "1536",
        "DATABASE_POOL_SIZE": "20",
        "DATABASE_MAX_OVERFLOW": "10",
        "MAX_BUNDLE_CLAIMS": "500",
        "MAX_TRAVERSAL_DEPTH": "10",
    },
    "curiouscore": {
        "ALGORITHM": "HS256",
        "ACCESS_TOKEN_EXPIRE_MINUTES": "30",
        "HOST": "0.0.0.0",
        "PORT": "8000",
    },
    "oyl": {
        "APP_NAME": "Oyl RAG Platform",
        "APP_VERSION": "0.1.0",
        "DEBUG": "false",
        "DATABASE_URL": "postgresql://oyl_user:oyl_pass@postgres:5432/oyl_db",
        "REDIS_URL": "redis://redis:6379/0",
        "CHROMA_HOST": "chroma",
        "CHROMA_PORT": "8000",
        "ALGORITHM": "HS256",
        "ACCESS_TOKEN_EXPIRE_MINUTES": "60",
    },
}


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable of any service leaks from the test process into a Settings under test."""
    for service in SERVICES:
        for name in settings_env_names(service):
            monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_example_lists_exactly_the_variables_settings_reads(service: Service) -> None:
    example = read_env_example(service.env_example)
    missing, unknown = mismatch(example.listed, settings_env_names(service))
    assert not missing, f"{service.env_example} lacks variables Settings reads: {sorted(missing)}"
    assert not unknown, f"{service.env_example} lists variables nobody reads: {sorted(unknown)}"
    assert not example.duplicates, f"set twice in {service.env_example}: {example.duplicates}"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_example_as_copied_is_a_valid_configuration(
    service: Service, clean_environment: None
) -> None:
    # `cp .env.example .env` must give settings the service accepts, with the file's values.
    settings = settings_class(service)(_env_file=service.env_example)
    example = read_env_example(service.env_example)
    assert settings.environment.value == example.active["ENVIRONMENT"]
    if "DATABASE_URL" in example.active:
        assert settings.database_url == example.active["DATABASE_URL"]


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_example_carries_the_guide_values(service: Service) -> None:
    active = read_env_example(service.env_example).active
    for name, value in GUIDE_VALUES[service.name].items():
        assert active.get(name) == value, f"{service.name}: {name} should be the guide's {value!r}"


def test_the_check_catches_a_missing_and_an_unread_variable(tmp_path: Path) -> None:
    service = SERVICES[1]
    lines = service.env_example.read_text().splitlines()
    dropped = [line for line in lines if not line.startswith("JOB_RETENTION_DAYS=")]
    edited = tmp_path / ".env.example"
    edited.write_text("\n".join([*dropped, "JOB_RETENTION=7"]) + "\n")
    missing, unknown = mismatch(read_env_example(edited).listed, settings_env_names(service))
    assert missing == {"JOB_RETENTION_DAYS"}
    assert unknown == {"JOB_RETENTION"}
