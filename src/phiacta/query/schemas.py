from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from phiacta.claims.schemas import ClaimRead
from phiacta.edges.schemas import Direction


class SearchFilters(BaseModel):
    namespace_prefix: str | None = None
    claim_types: list[str] = Field(default_factory=list)
    created_after: datetime | None = None
    created_before: datetime | None = None
    exclude_retracted: bool = True
    attrs: dict[str, Any] = Field(default_factory=dict)
    """JSONB containment on the claim's attrs."""


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=1000)
    mode: Literal["hybrid", "semantic", "fulltext"] = "hybrid"
    top_k: int = Field(default=20, ge=1, le=100)
    min_similarity: float = Field(default=0.5, ge=0, le=1)
    """For the semantic list: candidates less similar than this are dropped."""
    filters: SearchFilters = Field(default_factory=SearchFilters)
    highlight: bool = False


class SearchHit(BaseModel):
    claim: ClaimRead
    score: float
    similarity: float | None
    text_rank: float | None
    ranks: dict[str, int]
    """The hit's rank in the semantic and full-text lists (how the fused score came about)."""
    highlight: str | None = None


class SearchResponse(BaseModel):
    results: list[SearchHit]
    total_matches: int
    mode: str
    query_embedding_model: str | None
    search_time_ms: float


class TraverseFilters(BaseModel):
    min_edge_strength: float | None = Field(default=None, ge=0, le=1)
    exclude_retracted: bool = True
    edge_types_exclude: list[str] = Field(default_factory=list)


class TraverseRequest(BaseModel):
    start: uuid.UUID
    direction: Direction = "both"
    edge_types: list[str] = Field(default_factory=list)
    max_depth: int = Field(default=3, ge=1)
    max_nodes: int = Field(default=100, ge=1, le=1000)
    filters: TraverseFilters = Field(default_factory=TraverseFilters)
    infer_transitive: bool = False
    """Also return the edges that transitive types imply between the start and the nodes
    reached (``inferred: true``, with their ``path``); see ``phiacta.query.inference``."""
    float_to_latest: bool = False
    """Edges stay pinned to the versions they were asserted on; with this, a reached version
    that has been superseded is reported as the latest version of its lineage (its
    ``floated_from`` names the pinned one), and the walk goes on from both."""


class TraverseNode(BaseModel):
    claim: ClaimRead
    depth: int
    floated_from: list[uuid.UUID] = Field(default_factory=list)


class TraverseEdge(BaseModel):
    id: uuid.UUID | None
    """None for an inferred edge, which is not stored."""
    source_id: uuid.UUID
    target_id: uuid.UUID
    edge_type: str
    strength: float | None
    inferred: bool = False
    path: list[uuid.UUID] = Field(default_factory=list)
    """An inferred edge's witness: the claims of the chain, from source to target."""


class GraphStats(BaseModel):
    total_nodes: int
    total_edges: int
    max_depth_reached: int
    truncated: bool


class TraverseResponse(BaseModel):
    nodes: list[TraverseNode]
    edges: list[TraverseEdge]
    graph_stats: GraphStats
