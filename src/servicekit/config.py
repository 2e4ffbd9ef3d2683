"""Settings base shared by every service.

Each service declares its own ``Settings(ServiceSettings)`` with the env var names and defaults of
its deployment guide. The base reads the environment and a ``.env`` file, ignores unknown keys (a
``.env`` shared by several services must never stop one of them from starting) and knows where the
suite keeps its data when nothing external is configured.
"""

from __future__ import annotations

import json
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import BeforeValidator, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

APP_NAME = "ai-service-suite"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class ServiceSettings(BaseSettings):
    """Every service's settings base: env + ``.env``, unknown keys ignored, SecretStr secrets."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
    )

    environment: Environment = Environment.development
    log_level: str = "INFO"
    log_format: Literal["json", "console"] | None = None
    """Default: JSON lines in production (for log shippers), readable lines elsewhere."""

    @property
    def is_production(self) -> bool:
        return self.environment == Environment.production

    @property
    def effective_log_format(self) -> Literal["json", "console"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.is_production else "console"


def suite_home() -> Path:
    """The one directory under which the embedded databases, blobs and models live.

    ``SUITE_HOME`` wins; otherwise the platform's user data directory (``~/.local/share/...``).
    """
    configured = os.environ.get("SUITE_HOME")
    home = (
        Path(configured).expanduser() if configured else Path(platformdirs.user_data_dir(APP_NAME))
    )
    return home.resolve()


def split_list(value: object) -> object:
    """A list setting written as ``a,b,c`` (the guides' form) or as a JSON array."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


CommaList = Annotated[list[str], NoDecode, BeforeValidator(split_list)]
"""A ``list[str]`` setting read from ``A,B,C`` or ``["A", "B"]`` (e.g. ``CORS_ORIGINS``)."""


def generated_secret(service: str, name: str) -> SecretStr:
    """A random secret kept in ``SUITE_HOME/<service>/<name>``, created on first use.

    For development only, when an operator has not configured one (``SECRET_KEY``,
    ``API_KEY_SALT``...): every process of the machine (server, CLI, workers) reads the same
    value, so tokens and keys survive restarts. The file is created atomically (readers never
    see it half written, and of two processes starting together exactly one value wins) and is
    readable by its owner only.
    """
    path = suite_home() / service / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)  # fails if another process won the race: keep theirs
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return SecretStr(path.read_text().strip())
