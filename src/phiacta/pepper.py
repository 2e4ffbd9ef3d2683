"""The API key pepper: ``API_KEY_SALT``, or outside production one kept under ``SUITE_HOME``.

The guide's "auto-generated" salt must not differ per process (every key would break on
restart and between replicas), so a generated pepper is written once to a file that every
process on the machine (server, CLI, workers) reads. Production requires ``API_KEY_SALT``.
"""

from __future__ import annotations

from pydantic import SecretStr

from phiacta.config import Settings
from servicekit.config import generated_secret


def api_key_pepper(settings: Settings) -> SecretStr:
    if settings.api_key_salt is not None:
        return settings.api_key_salt
    if settings.is_production:  # Settings refuses this already; kept for direct callers
        raise RuntimeError("API_KEY_SALT is required in production")
    return generated_secret("phiacta", "api_key_salt")
