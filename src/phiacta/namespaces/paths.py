"""Namespace paths (pure): dotted segments, and the ``prefix*`` filter form."""

from __future__ import annotations

import re

SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


def segments(path: str) -> list[str] | None:
    """The segments of a well-formed path; None when any segment is empty or has other chars."""
    parts = path.split(".")
    return parts if all(SEGMENT.match(part) for part in parts) else None


def child_path(parent_path: str | None, name: str) -> str:
    return f"{parent_path}.{name}" if parent_path else name


def ancestors(path: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b", "a.b.c"]`` (the path itself last)."""
    parts = path.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]


def parse_filter(value: str) -> tuple[str, bool]:
    """``biology.*`` or ``biology*`` -> (``biology``, True): the namespace and its subtree;
    ``biology`` -> (``biology``, False): that namespace only."""
    if value.endswith("*"):
        return value.rstrip("*").rstrip("."), True
    return value, False
