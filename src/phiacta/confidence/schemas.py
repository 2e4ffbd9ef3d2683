from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class Components(BaseModel):
    review_based: float | None
    evidence_based: float | None
    provenance_factor: float | None
    """Mean extraction confidence of the claim's provenance (how well it was read)."""


class Confidence(BaseModel):
    score: float | None
    lower_bound: float | None
    upper_bound: float | None
    components: Components


class ConfidenceOut(BaseModel):
    claim_id: uuid.UUID
    computed_at: datetime
    model: str
    confidence: Confidence
    reviews_considered: int
    evidence_chains_considered: int
    caveats: list[str]


class Bucket(BaseModel):
    range: tuple[float, float]
    count: int


class TypeStats(BaseModel):
    mean: float
    count: int


class DistributionBody(BaseModel):
    buckets: list[Bucket]
    mean: float | None
    median: float | None
    std_dev: float | None


class DistributionOut(BaseModel):
    claim_id: uuid.UUID
    distribution: DistributionBody
    by_reviewer_type: dict[str, TypeStats]
