"""Reading a structured answer out of a model's free text, whichever format it chose.

A model asked for TOML sometimes answers JSON, and one asked for JSON sometimes wraps it in prose.
Every reading that parses is offered in order (TOML, then JSON, then the span from the first ``{``
to the last ``}``), and the caller keeps the first one that validates: a reading that parses but
holds the wrong fields does not hide a later one that is right.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from galileo_arena.debate.toml_io import parse_toml

T = TypeVar("T")

_JSON_FENCE = re.compile(r"```[ \t]*(?:json)?[ \t]*\r?\n(?P<body>.*?)```", re.DOTALL | re.I)


def readings(text: str) -> list[dict[str, Any]]:
    """Each distinct table that ``text`` parses to, most likely first; empty when none does."""
    found: list[dict[str, Any]] = []
    for read in (_as_toml, _as_json, _as_brace_span):
        table = read(text)
        if table and table not in found:
            found.append(table)
    return found


def _as_toml(text: str) -> dict[str, Any] | None:
    try:
        return parse_toml(text)
    except ValueError:
        return None


def _as_json(text: str) -> dict[str, Any] | None:
    fenced = _JSON_FENCE.search(text)
    return _json_object(fenced.group("body") if fenced else text)


def _as_brace_span(text: str) -> dict[str, Any] | None:
    start, end = text.find("{"), text.rfind("}")
    return _json_object(text[start : end + 1]) if 0 <= start < end else None


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    """The outcome of reading one reply: the valid value, or why there is none."""

    value: T | None
    data: dict[str, Any] | None
    error: str | None


def first_valid(
    text: str,
    validate: Callable[[dict[str, Any]], T],
    normalise: Callable[[dict[str, Any]], dict[str, Any]] = lambda table: table,
) -> Reading[T]:
    """The first reading of ``text`` that ``validate`` accepts (after ``normalise``).

    Without one, ``data`` is the first reading that parsed (for the record) and ``error`` says what
    was wrong with it, or that nothing parsed at all.
    """
    if not text.strip():
        return Reading(value=None, data=None, error="the reply was empty")
    tables = [normalise(table) for table in readings(text)]
    if not tables:
        return Reading(value=None, data=None, error="the reply is neither TOML nor JSON")
    first_error = ""
    for table in tables:
        try:
            return Reading(value=validate(table), data=table, error=None)
        except ValidationError as error:
            first_error = first_error or _describe(error)
    return Reading(value=None, data=tables[0], error=first_error)


def _describe(error: ValidationError) -> str:
    """Pydantic's errors in one line each, without the documentation URLs."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or '(root)'}: {problem['msg']}"
        for problem in error.errors()
    )
