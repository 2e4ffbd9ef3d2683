"""Reading deploy/Dockerfile: its stages with their instructions and build args."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .catalog import DEPLOY

FROM = re.compile(r"^FROM\s+(?P<image>\S+)(?:\s+AS\s+(?P<name>\S+))?$", re.IGNORECASE)


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def args(self) -> set[str]:
        return {body.split("=", 1)[0] for keyword, body in self.instructions if keyword == "ARG"}

    def last(self, keyword: str) -> str | None:
        bodies = [body for k, body in self.instructions if k == keyword]
        return bodies[-1] if bodies else None

    def text(self) -> str:
        return "\n".join(f"{k} {body}" for k, body in self.instructions)


def logical_lines(text: str) -> list[str]:
    """Instructions with their continuation lines joined and comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


def stages() -> dict[str, Stage]:
    found: dict[str, Stage] = {}
    current: Stage | None = None
    for line in logical_lines((DEPLOY / "Dockerfile").read_text()):
        keyword, _, body = line.partition(" ")
        match = FROM.match(line)
        if match:
            current = Stage(match["name"] or str(len(found)), match["image"])
            found[current.name] = current
        elif current is not None:
            current.instructions.append((keyword.upper(), body.strip()))
    return found


def exec_form(body: str) -> list[str]:
    """A JSON-array CMD/HEALTHCHECK command (after HEALTHCHECK's options)."""
    return json.loads(body[body.index("[") :])
