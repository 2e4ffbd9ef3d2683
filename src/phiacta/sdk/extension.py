"""The extension base classes and their data (spec §8.1): what an input extension produces and
how it becomes a bundle, what an output extension is asked and answers (pure)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Source:
    source_type: str
    title: str | None = None
    external_ref: str | None = None
    content_hash: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExtractedClaim:
    temp_id: str
    content: str
    claim_type: str
    confidence: float | None = None
    formal_content: str | None = None
    namespace: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExtractedEdge:
    source_temp_id: str
    edge_type: str
    target_temp_id: str | None = None
    target_id: str | None = None
    target_external_ref: str | None = None
    strength: float | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExtractedArtifact:
    temp_id: str
    artifact_type: str
    description: str | None = None
    storage_ref: str | None = None
    content_inline: str | None = None
    structured_data: dict[str, Any] | None = None
    linked_claim_temp_ids: list[str] = field(default_factory=list)


@dataclass
class ExtractionResult:
    claims: list[ExtractedClaim] = field(default_factory=list)
    edges: list[ExtractedEdge] = field(default_factory=list)
    artifacts: list[ExtractedArtifact] = field(default_factory=list)


class InputExtension(ABC):
    """Turns a source into claims, edges and artifacts; ``validate`` warns, never blocks."""

    name: str
    version: str
    description: str = ""

    @abstractmethod
    async def ingest(self, source: Source, content: str) -> ExtractionResult: ...

    async def validate(self, result: ExtractionResult) -> list[str]:
        return []


@dataclass
class QueryRequest:
    query: str
    top_k: int = 20
    filters: dict[str, Any] = field(default_factory=dict)
    include: list[str] = field(default_factory=list)


@dataclass
class QueryResponse:
    results: list[dict[str, Any]]
    total_matches: int
    metadata: dict[str, Any] = field(default_factory=dict)


class OutputExtension(ABC):
    """Answers queries from the knowledge graph (search, views, summaries...)."""

    name: str
    version: str
    description: str = ""

    @abstractmethod
    async def query(self, request: QueryRequest) -> QueryResponse: ...


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def bundle_body(
    result: ExtractionResult,
    source: Source,
    *,
    idempotency_key: str,
    namespace: str | None = None,
    contributor_id: str | None = None,
    extension_id: str | None = None,
    create_namespace: bool = False,
) -> dict[str, Any]:
    """The ``POST /v1/bundles`` body for an extraction."""
    return _clean(
        {
            "idempotency_key": idempotency_key,
            "namespace": namespace,
            "contributor_id": contributor_id,
            "extension_id": extension_id,
            "create_namespace": create_namespace,
            "source": _clean(asdict(source)),
            "claims": [_clean(asdict(claim)) for claim in result.claims],
            "edges": [_clean(asdict(edge)) for edge in result.edges],
            "artifacts": [_clean(asdict(artifact)) for artifact in result.artifacts],
        }
    )
