"""Reading the compose files: YAML, interpolations, mounts, commands."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .catalog import DEPLOY

SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
DEV = DEPLOY / "docker-compose.yml"
PROD = DEPLOY / "docker-compose.prod.yml"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}; `$$` escapes.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


@cache
def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))


def schema_errors(document: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator().iter_errors(document)
    ]


def interpolations(text: str) -> list[tuple[str, str]]:
    """(variable, operator) of every interpolation; operator "" when there is none."""
    return [(m["name"], m["op"] or "") for m in INTERPOLATION.finditer(text)]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def mounts(service: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(source, target, read_only) of every short-syntax volume entry."""
    found = []
    for entry in service.get("volumes", []):
        parts = entry.split(":")
        # A source may itself be an interpolation containing ':' (`${DIR:?message}`).
        if entry.startswith("${"):
            end = entry.index("}") + 1
            parts = [entry[:end], *entry[end + 1 :].split(":")]
        source, target = parts[0], parts[1]
        found.append((source, target, len(parts) > 2 and "ro" in parts[2].split(",")))
    return found


def is_bind(source: str) -> bool:
    return source.startswith((".", "/", "~", "${"))


def command_words(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else list(command)


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Dependency -> condition (service_started for the short list form)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}
