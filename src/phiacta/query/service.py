"""Search and traversal use cases.

Search: the semantic list (cosine similarity, at least ``min_similarity``, through the IVFFlat
index, re-ranked by the stored vectors) and the full-text list (``search_tsv``, last word as a
prefix) are fused by Reciprocal Rank Fusion in ``hybrid`` mode, or used alone. Claims without
an embedding yet are still found by the full-text list.

Traversal is breadth-first, one SQL query per level over the frontier, with a visited set: every
node appears once at its smallest depth, cycles cannot loop, and the work is bounded by
``max_depth`` (at most ``MAX_TRAVERSAL_DEPTH``) and ``max_nodes``. A recursive CTE carrying a
path array would enumerate every path, which grows exponentially on dense graphs.
"""

from __future__ import annotations

import time
import uuid

from phiacta.claims.service import ClaimService
from phiacta.errors import claim_not_found, field_error, validation_failed
from phiacta.models import Edge
from phiacta.query import repository
from phiacta.query.fusion import reciprocal_rank_fusion
from phiacta.query.inference import inferred_edges
from phiacta.query.schemas import (
    GraphStats,
    SearchHit,
    SearchRequest,
    SearchResponse,
    TraverseEdge,
    TraverseNode,
    TraverseRequest,
    TraverseResponse,
)
from phiacta.vectors.service import VectorIndex
from servicekit.db import Database
from servicekit.embeddings import Embedder, EmbeddingError
from servicekit.logging import get_logger

log = get_logger("phiacta.query")

# Each list contributes this many candidates per requested result before fusion.
CANDIDATES_PER_RESULT = 3
MIN_CANDIDATES = 50


class QueryService:
    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        claims: ClaimService,
        vectors: VectorIndex,
        *,
        max_depth: int,
    ) -> None:
        self.db = db
        self.embedder = embedder
        self.claims = claims
        self.vectors = vectors
        self.max_depth = max_depth

    async def search(self, request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        depth = max(request.top_k * CANDIDATES_PER_RESULT, MIN_CANDIDATES)
        vector = None
        if request.mode != "fulltext":
            try:
                vector = (await self.embedder.embed([request.query]))[0].tolist()
            except EmbeddingError as exc:  # full text still answers ([REC] §11.2.1)
                log.warning("semantic search unavailable", error=str(exc))
        probes = await self.vectors.search_probes() if vector is not None else 1
        async with self.db.session() as session:
            semantic: list[tuple[uuid.UUID, float]] = []
            text: list[tuple[uuid.UUID, float]] = []
            if vector is not None:
                semantic = [
                    hit
                    for hit in await repository.semantic(
                        session, vector, request.filters, depth, probes=probes
                    )
                    if hit[1] >= request.min_similarity
                ]
            if request.mode != "semantic" or vector is None:
                text = await repository.fulltext(session, request.query, request.filters, depth)
            similarity = dict(semantic)
            text_rank = dict(text)
            fused = reciprocal_rank_fusion(
                {"semantic": [i for i, _ in semantic], "fulltext": [i for i, _ in text]}
            )
            top = fused[: request.top_k]
            ids = [entry.item for entry in top]
            rows = await repository.claims_by_id(session, ids)
            reads = {
                read.id: read for read in await self.claims.reads(session, list(rows.values()))
            }
            marks = (
                await repository.headlines(session, ids, request.query) if request.highlight else {}
            )
        return SearchResponse(
            results=[
                SearchHit(
                    claim=reads[entry.item],
                    score=round(entry.score, 6),
                    similarity=similarity.get(entry.item),
                    text_rank=text_rank.get(entry.item),
                    ranks=entry.ranks,
                    highlight=marks.get(entry.item),
                )
                for entry in top
            ],
            total_matches=len(fused),
            mode=request.mode,
            query_embedding_model=self.embedder.model_name if vector is not None else None,
            search_time_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    async def traverse(self, request: TraverseRequest) -> TraverseResponse:
        if request.max_depth > self.max_depth:
            raise validation_failed(
                [
                    field_error(
                        "max_depth",
                        "RANGE",
                        f"max_depth is at most {self.max_depth} (MAX_TRAVERSAL_DEPTH)",
                    )
                ]
            )
        filters = request.filters
        async with self.db.session() as session:
            start = (await repository.claims_by_id(session, [request.start])).get(request.start)
            if start is None:
                raise claim_not_found(request.start)
            symmetric = await repository.symmetric_types(session)
            depth_of = {start.id: 0}
            floated: dict[uuid.UUID, list[uuid.UUID]] = {}
            visited = {start.id}  # every version reached, reported or floated past
            frontier = [start.id]
            truncated = False
            depth = 0
            while frontier and depth < request.max_depth and not truncated:
                depth += 1
                edges = await repository.level_edges(
                    session,
                    frontier,
                    direction=request.direction,
                    symmetric=symmetric,
                    types=request.edge_types,
                    excluded=filters.edge_types_exclude,
                    min_strength=filters.min_edge_strength,
                )
                reached = _new_neighbours(edges, set(frontier), visited)
                visited.update(reached)
                latest = (
                    await repository.latest_versions(session, reached)
                    if request.float_to_latest and reached
                    else {}
                )
                candidates = list(dict.fromkeys(latest.get(node, node) for node in reached))
                candidates = [node for node in candidates if node not in depth_of]
                if filters.exclude_retracted and candidates:
                    retracted = await repository.retracted_among(session, candidates)
                    candidates = [c for c in candidates if c not in retracted]
                room = request.max_nodes - len(depth_of)
                if len(candidates) > room:
                    candidates, truncated = candidates[:room], True
                for node in candidates:
                    depth_of[node] = depth
                for pinned, newest in latest.items():
                    if pinned != newest and newest in depth_of:
                        floated.setdefault(newest, []).append(pinned)
                # The walk goes on from the reported nodes and from the versions they stand for.
                kept = set(candidates)
                pinned_kept = [p for p in reached if p not in kept and latest.get(p, p) in kept]
                frontier = candidates + pinned_kept
                visited.update(candidates)
            # Among the nodes returned and the versions floated past; nodes left out (retracted,
            # beyond the cap) bring no edges.
            edges = await repository.edges_among(
                session,
                [*depth_of, *(pinned for versions in floated.values() for pinned in versions)],
                types=request.edge_types,
                excluded=filters.edge_types_exclude,
                min_strength=filters.min_edge_strength,
            )
            inferred = (
                inferred_edges(
                    start.id,
                    edges,
                    transitive=await repository.transitive_types(session),
                    symmetric=symmetric,
                    direction=request.direction,
                )
                if request.infer_transitive
                else []
            )
            rows = await repository.claims_by_id(session, list(depth_of))
            reads = {
                read.id: read for read in await self.claims.reads(session, list(rows.values()))
            }
        ordered = sorted(depth_of.items(), key=lambda item: (item[1], str(item[0])))
        return TraverseResponse(
            nodes=[
                TraverseNode(claim=reads[node], depth=d, floated_from=floated.get(node, []))
                for node, d in ordered
            ],
            edges=[
                TraverseEdge(
                    id=e.id,
                    source_id=e.source_id,
                    target_id=e.target_id,
                    edge_type=e.edge_type,
                    strength=e.strength,
                )
                for e in edges
            ]
            + [
                TraverseEdge(
                    id=None,
                    source_id=e.source_id,
                    target_id=e.target_id,
                    edge_type=e.edge_type,
                    strength=None,
                    inferred=True,
                    path=e.path,
                )
                for e in inferred
            ],
            graph_stats=GraphStats(
                total_nodes=len(depth_of),
                total_edges=len(edges),
                max_depth_reached=max(depth_of.values()),
                truncated=truncated,
            ),
        )


def _new_neighbours(
    edges: list[Edge], frontier: set[uuid.UUID], seen: set[uuid.UUID]
) -> list[uuid.UUID]:
    """The far ends of ``edges`` not seen before, in edge order, each once."""
    found: dict[uuid.UUID, None] = {}
    for edge in edges:
        for near, far in ((edge.source_id, edge.target_id), (edge.target_id, edge.source_id)):
            if near in frontier and far not in seen:
                found[far] = None
    return list(found)
