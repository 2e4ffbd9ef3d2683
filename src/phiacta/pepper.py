"""The API key pepper: ``API_KEY_SALT``, or outside production one kept under ``SUITE_HOME``.

The guide's "auto-generated" salt must not differ per process (every key would break on
restart and between replicas), so a generated pepper is written once to a file that every
process on the machine (server, CLI, workers) reads. Production requires ``API_KEY_SALT``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from phiacta.config import Settings
from servicekit.config import suite_home


def pepper_file() -> Path:
    return suite_home() / "phiacta" / "api_key_salt"


def api_key_pepper(settings: Settings) -> SecretStr:
    if settings.api_key_salt is not None:
        return settings.api_key_salt
    if settings.is_production:  # Settings refuses this already; kept for direct callers
        raise RuntimeError("API_KEY_SALT is required in production")
    path = pepper_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two processes start together, exactly one writes the pepper.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return SecretStr(path.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        value = secrets.token_urlsafe(32)
        handle.write(value)
    return SecretStr(value)
