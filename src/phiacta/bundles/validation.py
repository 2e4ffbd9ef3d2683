"""Everything about a bundle that can be checked without the database (pure, spec §6.2).

Every problem is reported with its field path, so a client fixes all of them in one go; the
database-dependent checks (namespaces, existing target claims) live in the service.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from phiacta.bundles.schemas import BundleSubmit
from phiacta.edges.rules import EdgeTypeRules
from phiacta.errors import field_error

FieldError = dict[str, str]
EDGES_PER_CLAIM = 20
# Top-level codes a bundle's 422 carries when every problem is of that one kind.
_SPECIFIC = {"EDGE_TYPE_UNKNOWN", "NAMESPACE_NOT_FOUND", "TEMP_ID_UNRESOLVED"}


def bundle_error_code(errors: list[FieldError]) -> str:
    codes = {error["code"] for error in errors}
    if len(codes) == 1 and codes <= _SPECIFIC:
        return codes.pop()
    return "BUNDLE_VALIDATION_FAILED"


def validate_bundle(
    bundle: BundleSubmit, *, max_claims: int, edge_types: Mapping[str, EdgeTypeRules]
) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(bundle.claims) > max_claims:
        errors.append(
            field_error(
                "claims",
                "TOO_MANY",
                f"{len(bundle.claims)} claims; at most {max_claims} per bundle (MAX_BUNDLE_CLAIMS)",
            )
        )
        return errors  # the rest would only repeat work on an oversized body
    # Edges and artifacts scale with the claims they link, within the same cap.
    for kind, items, cap in (
        ("edges", bundle.edges, EDGES_PER_CLAIM * max_claims),
        ("artifacts", bundle.artifacts, max_claims),
    ):
        if len(items) > cap:
            errors.append(field_error(kind, "TOO_MANY", f"{len(items)} {kind}; at most {cap}"))
    if errors:
        return errors

    seen: dict[str, str] = {}
    for kind, items in (("claims", bundle.claims), ("artifacts", bundle.artifacts)):
        for index, item in enumerate(items):
            where = f"{kind}[{index}].temp_id"
            if item.temp_id in seen:
                errors.append(
                    field_error(
                        where, "DUPLICATE_TEMP_ID", f"temp_id already used at {seen[item.temp_id]}"
                    )
                )
            else:
                seen[item.temp_id] = where
    claim_ids = {claim.temp_id for claim in bundle.claims}

    for index, claim in enumerate(bundle.claims):
        if claim.namespace is None and bundle.namespace is None:
            errors.append(
                field_error(
                    f"claims[{index}].namespace", "REQUIRED", "no namespace here nor on the bundle"
                )
            )

    for index, edge in enumerate(bundle.edges):
        where = f"edges[{index}]"
        if edge.source_temp_id not in claim_ids:
            errors.append(
                field_error(
                    f"{where}.source_temp_id",
                    "TEMP_ID_UNRESOLVED",
                    f"no claim with temp_id {edge.source_temp_id!r} in this bundle",
                )
            )
        targets = [
            name
            for name in ("target_temp_id", "target_id", "target_external_ref")
            if getattr(edge, name) is not None
        ]
        if len(targets) != 1:
            errors.append(
                field_error(
                    where,
                    "TARGET_REQUIRED",
                    "give exactly one of target_temp_id, target_id, target_external_ref",
                )
            )
        elif edge.target_temp_id is not None and edge.target_temp_id not in claim_ids:
            errors.append(
                field_error(
                    f"{where}.target_temp_id",
                    "TEMP_ID_UNRESOLVED",
                    f"no claim with temp_id {edge.target_temp_id!r} in this bundle",
                )
            )
        rules = edge_types.get(edge.edge_type)
        if rules is None:
            errors.append(
                field_error(
                    f"{where}.edge_type",
                    "EDGE_TYPE_UNKNOWN",
                    f"unknown edge type {edge.edge_type!r}",
                )
            )
        elif rules.is_anti_reflexive and edge.target_temp_id == edge.source_temp_id:
            errors.append(
                field_error(
                    f"{where}.target_temp_id",
                    "ANTI_REFLEXIVE",
                    f"{edge.edge_type} cannot link a claim to itself",
                )
            )

    for index, artifact in enumerate(bundle.artifacts):
        for position, temp_id in enumerate(artifact.linked_claim_temp_ids):
            if temp_id not in claim_ids:
                errors.append(
                    field_error(
                        f"artifacts[{index}].linked_claim_temp_ids[{position}]",
                        "TEMP_ID_UNRESOLVED",
                        f"no claim with temp_id {temp_id!r} in this bundle",
                    )
                )

    if not errors:
        errors += _cycles(bundle, edge_types)
    return errors


def _cycles(bundle: BundleSubmit, edge_types: Mapping[str, EdgeTypeRules]) -> list[FieldError]:
    """Cycles of acyclic types among the bundle's own temp-id edges.

    The only other edges that can lead into the bundle's new claims are the pending references
    of earlier bundles that this bundle resolves; the service checks those against the stored
    graph (``BundleService._refuse_cycle``).
    """
    graphs: dict[str, dict[str, list[tuple[str, int]]]] = defaultdict(lambda: defaultdict(list))
    for index, edge in enumerate(bundle.edges):
        rules = edge_types[edge.edge_type]
        if rules.is_acyclic and edge.target_temp_id is not None:
            graphs[edge.edge_type][edge.source_temp_id].append((edge.target_temp_id, index))
    errors = []
    for name, graph in graphs.items():
        closing = _closing_edge(graph)
        if closing is not None:
            errors.append(
                field_error(
                    f"edges[{closing}]",
                    "CYCLE",
                    f"{name} is acyclic: these edges form a cycle",
                )
            )
    return errors


def _closing_edge(graph: Mapping[str, list[tuple[str, int]]]) -> int | None:
    """The index of an edge closing a cycle, by iterative depth-first search."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in list(graph):
        if state.get(root):
            continue
        stack = [(root, iter(graph.get(root, ())))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            step = next(children, None)
            if step is None:
                state[node] = 2
                stack.pop()
                continue
            child, index = step
            if state.get(child) == 1:
                return index
            if not state.get(child):
                state[child] = 1
                stack.append((child, iter(graph.get(child, ()))))
    return None
