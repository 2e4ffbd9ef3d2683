"""``{{variable}}`` substitution in simple challenges' system prompts (pure)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")

BUILTIN_VARIABLES = frozenset(
    {
        "title",
        "description",
        "difficulty",
        "xp_reward",
        "passing_score",
        "estimated_time",
        "tags",
        "help_resources",
    }
)

# Keys of ``custom_variables`` that configure the challenge rather than fill placeholders.
CONFIG_KEYS = frozenset({"progress_tracking"})


class UnresolvedVariables(ValueError):
    def __init__(self, names: list[str]) -> None:
        super().__init__(f"Variable substitution error: unknown variable(s) {', '.join(names)}")
        self.names = names


def builtin_values(challenge: Mapping[str, Any]) -> dict[str, str]:
    return {
        "title": str(challenge.get("title", "")),
        "description": str(challenge.get("description", "")),
        "difficulty": str(challenge.get("difficulty", "")),
        "xp_reward": str(challenge.get("xp_reward", "")),
        "passing_score": str(challenge.get("passing_score", "")),
        "estimated_time": str(challenge.get("estimated_time_minutes", "")),
        "tags": ", ".join(challenge.get("tags") or []),
        "help_resources": json.dumps(challenge.get("help_resources") or []),
    }


def reserved_names(custom: Mapping[str, Any]) -> list[str]:
    """Custom variables that would shadow a built-in (refused when authoring)."""
    return sorted(set(custom) & BUILTIN_VARIABLES)


def render(template: str, challenge: Mapping[str, Any]) -> str:
    """The prompt with every placeholder filled; ``UnresolvedVariables`` names the missing ones."""
    custom = {
        key: value
        for key, value in (challenge.get("custom_variables") or {}).items()
        if key not in CONFIG_KEYS and key not in BUILTIN_VARIABLES
    }
    values = {**{k: str(v) for k, v in custom.items()}, **builtin_values(challenge)}
    missing = sorted({m.group(1) for m in PLACEHOLDER.finditer(template)} - set(values))
    if missing:
        raise UnresolvedVariables(missing)
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
