"""Reading ``.env.example`` files: which variables they list, active or commented out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# `KEY=value` or `# KEY=value`: a commented assignment still documents the variable.
ASSIGNMENT = re.compile(r"^(?P<comment>#\s*)?(?P<key>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


@dataclass(frozen=True)
class EnvExample:
    active: dict[str, str]
    commented: set[str]
    duplicates: list[str]

    @property
    def listed(self) -> set[str]:
        return set(self.active) | self.commented


def read_env_example(path: Path) -> EnvExample:
    active: dict[str, str] = {}
    commented: set[str] = set()
    duplicates: list[str] = []
    for line in path.read_text().splitlines():
        match = ASSIGNMENT.match(line.strip())
        if not match:
            continue
        key = match["key"]
        if match["comment"]:
            commented.add(key)
        elif key in active:
            duplicates.append(key)
        else:
            active[key] = match["value"]
    return EnvExample(active, commented, duplicates)


def mismatch(listed: set[str], read: set[str]) -> tuple[set[str], set[str]]:
    """(read by Settings but not listed, listed but not read)."""
    return read - listed, listed - read
