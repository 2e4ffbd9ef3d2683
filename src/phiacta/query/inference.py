"""Edges implied by transitive edge types (pure, [REC] spec §7.4).

With ``infer_transitive``, a traversal also answers what its start node is linked to through
a chain of one transitive type: ``A depends_on B``, ``B depends_on C`` imply ``A depends_on C``,
reported as inferred with the path that witnesses it (the shortest one found). Only chains
through the start are inferred, which keeps the answer linear in the nodes returned (all
pairs would be quadratic). Chains follow the requested direction and keep one orientation
(``A -> B <- C`` implies nothing); symmetric types (``equivalent_to``) chain either way.
"""

from __future__ import annotations

import uuid
from collections import defaultdict, deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Protocol


class EdgeLike(Protocol):
    source_id: uuid.UUID
    target_id: uuid.UUID
    edge_type: str


@dataclass(frozen=True)
class InferredEdge:
    source_id: uuid.UUID
    target_id: uuid.UUID
    edge_type: str
    path: list[uuid.UUID]
    """From ``source_id`` to ``target_id``, every claim of the chain."""


def inferred_edges(
    start: uuid.UUID,
    edges: Iterable[EdgeLike],
    *,
    transitive: Collection[str],
    symmetric: Collection[str],
    direction: str,
) -> list[InferredEdge]:
    forward: dict[str, dict[uuid.UUID, list[uuid.UUID]]] = defaultdict(lambda: defaultdict(list))
    backward: dict[str, dict[uuid.UUID, list[uuid.UUID]]] = defaultdict(lambda: defaultdict(list))
    for edge in edges:
        if edge.edge_type not in transitive:
            continue
        forward[edge.edge_type][edge.source_id].append(edge.target_id)
        backward[edge.edge_type][edge.target_id].append(edge.source_id)
        if edge.edge_type in symmetric:
            forward[edge.edge_type][edge.target_id].append(edge.source_id)
    found: list[InferredEdge] = []
    for edge_type in sorted(forward):
        if edge_type in symmetric or direction in {"outgoing", "both"}:
            for far, path in _chains(start, forward[edge_type]):
                found.append(InferredEdge(start, far, edge_type, path))
        if edge_type not in symmetric and direction in {"incoming", "both"}:
            for far, path in _chains(start, backward[edge_type]):
                found.append(InferredEdge(far, start, edge_type, path[::-1]))
    return found


def _chains(
    start: uuid.UUID, links: dict[uuid.UUID, list[uuid.UUID]]
) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    """Every node two or more links from ``start`` and not one link from it, with the shortest
    path to it (breadth first, so each node once)."""
    parent: dict[uuid.UUID, uuid.UUID | None] = {start: None}
    depth = {start: 0}
    queue = deque([start])
    reached = []
    while queue:
        node = queue.popleft()
        for nxt in links.get(node, ()):
            if nxt in parent:
                continue
            parent[nxt], depth[nxt] = node, depth[node] + 1
            queue.append(nxt)
            if depth[nxt] >= 2:
                reached.append(nxt)
    chains = []
    for far in reached:
        path = [far]
        while (step := parent[path[-1]]) is not None:
            path.append(step)
        chains.append((far, path[::-1]))
    return chains
