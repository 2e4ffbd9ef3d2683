"""A job's batch from an uploaded JSON Lines file: one input object per line (pure; no IO)."""

from __future__ import annotations

import json
from typing import Any


class BatchFileError(ValueError):
    """The file is not JSON Lines of objects; the message names the first bad line."""


def parse_jsonl(content: bytes, *, max_items: int) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file; blank lines are skipped."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchFileError("the batch file is not UTF-8 text") from exc
    items: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BatchFileError(f"line {number} is not JSON: {exc.msg}") from exc
        if not isinstance(item, dict):
            raise BatchFileError(f"line {number} is not an object of input name -> tensor")
        items.append(item)
        if len(items) > max_items:
            raise BatchFileError(f"a batch holds at most {max_items} inputs")
    if not items:
        raise BatchFileError("the batch file holds no input")
    return items
