"""Settings base shared by every service.

Each service declares its own ``Settings(ServiceSettings)`` with the env var names and defaults of
its deployment guide. The base reads the environment and a ``.env`` file, ignores unknown keys (a
``.env`` shared by several services must never stop one of them from starting) and knows where the
suite keeps its data when nothing external is configured.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic_settings import BaseSettings, SettingsConfigDict

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
