from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from phiacta.claims.schemas import ClaimRead
from phiacta.edges.schemas import EdgeRead

Relationship = Literal["supports", "contradicts", "corroborates"]
RELATIONSHIPS: tuple[Relationship, ...] = ("supports", "contradicts", "corroborates")


class EvidenceItem(BaseModel):
    claim: ClaimRead
    edge: EdgeRead
    chain_depth: int


class EvidenceGroups(BaseModel):
    supports: list[EvidenceItem] = Field(default_factory=list)
    contradicts: list[EvidenceItem] = Field(default_factory=list)
    corroborates: list[EvidenceItem] = Field(default_factory=list)


class EvidenceSummary(BaseModel):
    total_supporting: int
    total_contradicting: int
    total_corroborating: int
    net_support: float | None
    """In [-1, 1]: (supporting - contradicting) / all, each edge weighted by its strength
    (1 when unset) and halved per level of depth; None without evidence."""


class EvidenceOut(BaseModel):
    claim_id: uuid.UUID
    evidence: EvidenceGroups
    summary: EvidenceSummary


class EvidenceLink(BaseModel):
    source_claim_id: uuid.UUID
    relationship: Relationship
    strength: float | None = Field(default=None, ge=0, le=1)
    attrs: dict[str, Any] = Field(default_factory=dict)


class EvidenceLinked(BaseModel):
    edge_id: uuid.UUID
    source_id: uuid.UUID
    target_id: uuid.UUID
    edge_type: str
    strength: float | None
