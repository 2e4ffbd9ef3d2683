"""The ``include`` parameter of claim reads (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from phiacta.errors import error

INCLUDES = ("provenance", "edges", "reviews", "artifacts", "lineage")


def parse_includes(values: Iterable[str]) -> frozenset[str]:
    """``include=edges&include=reviews`` or ``include=edges,reviews``; unknown names are a 400."""
    names = {name.strip() for value in values for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(INCLUDES))
    if unknown:
        raise error(
            400,
            "INVALID_PARAMETER",
            f"Unknown include: {', '.join(unknown)} (known: {', '.join(INCLUDES)})",
            {"field": "include", "unknown": unknown},
        )
    return frozenset(names)
