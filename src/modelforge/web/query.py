"""Query parameters of the dashboard's filter forms."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import BeforeValidator

T = TypeVar("T")


def _blank_is_none(value: object) -> object:
    # A filter form (or a link keeping the filters) sends its "any" choice as an empty value.
    return None if value == "" else value


OptionalFilter = Annotated[T | None, BeforeValidator(_blank_is_none)]
"""``OptionalFilter[ModelStatus]``: a choice, or None for an empty (or absent) parameter."""
