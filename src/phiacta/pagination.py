"""Opaque cursors for keyset pagination (pure): base64url JSON of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from phiacta.errors import error


def encode_cursor(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """The sort key inside ``cursor``; 400 ``INVALID_PARAMETER`` for anything we did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        key = None
    if not isinstance(key, dict) or set(key) != set(fields):
        raise error(400, "INVALID_PARAMETER", "Invalid cursor", {"field": "cursor"})
    return key
