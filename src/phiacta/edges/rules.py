"""What an edge type's formal properties forbid, decided without IO.

The cycle rule needs the graph, so the service asks the repository whether the target already
reaches the source; everything decidable from the edge alone is here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class EdgeTypeRules:
    name: str
    is_symmetric: bool
    is_anti_reflexive: bool
    is_acyclic: bool


def self_loop_error(rules: EdgeTypeRules, source_id: uuid.UUID, target_id: uuid.UUID) -> str | None:
    if rules.is_anti_reflexive and source_id == target_id:
        return f"{rules.name} is anti-reflexive: a claim cannot be linked to itself"
    return None


def needs_cycle_check(rules: EdgeTypeRules) -> bool:
    return rules.is_acyclic


def cycle_message(rules: EdgeTypeRules) -> str:
    return (
        f"{rules.name} is acyclic: the target already reaches the source through {rules.name} "
        "edges, so this edge would close a cycle"
    )


def reverse_duplicate_matters(rules: EdgeTypeRules) -> bool:
    """A symmetric edge already stated the other way round says the same thing again."""
    return rules.is_symmetric
