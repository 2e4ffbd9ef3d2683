"""TOML in and out: lenient reading of what a model wrote, strict writing of what we show it.

Models wrap TOML in Markdown fences or put a sentence before it, so reading tries, in order: the
inside of a ```toml (or bare ```) fence; the text itself when it starts like TOML; the text from its
first TOML-looking line on (a preamble dropped); the whole text. Writing drops ``None`` (TOML has no
null) and keeps ``confidence`` a float, so ``1`` reads back as ``1.0``, not an integer.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any

import tomli_w

_FENCED = re.compile(r"```[ \t]*(?:toml)?[ \t]*\r?\n(?P<body>.*?)```", re.DOTALL | re.IGNORECASE)

# A table header (``[x]``, ``[[x]]``) or ``key =`` with a bare, quoted or dotted key.
_KEY = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
_TOML_LINE = re.compile(rf"^\s*(?:\[|{_KEY}(?:\s*\.\s*{_KEY})*\s*=)")

_FLOAT_KEYS = frozenset({"confidence"})


def looks_like_toml(line: str) -> bool:
    return _TOML_LINE.match(line) is not None


def parse_toml(text: str) -> dict[str, Any]:
    """The table in ``text``; ``ValueError`` when no reading of it is valid TOML."""
    stripped = text.strip()
    if not stripped:
        return {}
    problem: ValueError | None = None
    for candidate in _candidates(stripped):
        try:
            return tomllib.loads(candidate)
        except tomllib.TOMLDecodeError as error:
            problem = problem or error
    raise ValueError(f"not valid TOML: {problem}")


def _candidates(stripped: str) -> Iterator[str]:
    fenced = _FENCED.search(stripped)
    if fenced is not None:
        yield fenced.group("body")
        return
    lines = stripped.splitlines()
    if looks_like_toml(lines[0]):
        yield stripped
        return
    start = next((index for index, line in enumerate(lines) if looks_like_toml(line)), None)
    if start is not None:
        yield "\n".join(lines[start:])
    yield stripped


def to_toml(data: Mapping[str, Any]) -> str:
    """``data`` as a TOML document (pass pydantic models as ``model_dump(mode="json")``)."""
    return tomli_w.dumps(_writable(data))


def _writable(value: Any, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _writable(v, str(k)) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_writable(item) for item in value if item is not None]
    if isinstance(value, Enum):
        return _writable(value.value, key)
    if key in _FLOAT_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
