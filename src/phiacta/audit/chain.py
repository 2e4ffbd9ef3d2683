"""Hash chaining of audit entries (pure): each entry's hash covers its fields and the previous hash.

Changing, removing or reordering any entry changes every later hash, so :func:`first_break`
finds tampering from the rows alone. The first entry chains from :data:`GENESIS`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def digest(value: Any) -> str:
    """sha256 of the canonical JSON of ``value`` (sorted keys, no spaces; str() for the rest)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class AuditFields:
    at: str
    agent_id: str | None
    request_id: str | None
    action: str
    entity_type: str
    entity_id: str | None
    before_hash: str | None
    after_hash: str | None


def entry_hash(prev_hash: str, fields: AuditFields) -> str:
    return digest({"prev": prev_hash, **fields.__dict__})


@dataclass(frozen=True)
class ChainedEntry:
    id: int
    fields: AuditFields
    prev_hash: str
    hash: str


def first_break(entries: Iterable[ChainedEntry]) -> int | None:
    """The id of the first entry that does not chain (in id order); None when the chain holds."""
    expected_prev = GENESIS
    for entry in entries:
        if entry.prev_hash != expected_prev or entry.hash != entry_hash(
            entry.prev_hash, entry.fields
        ):
            return entry.id
        expected_prev = entry.hash
    return None
