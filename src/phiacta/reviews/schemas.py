from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Verdict = Literal["endorse", "dispute", "request_revision", "retract"]


class ReviewCreate(BaseModel):
    verdict: Verdict
    confidence: float = Field(ge=0, le=1)
    comment: str | None = Field(default=None, max_length=10000)


class Reviewer(BaseModel):
    id: uuid.UUID
    name: str
    agent_type: str
    trust_score: float


class ReviewOut(BaseModel):
    id: uuid.UUID
    claim_id: uuid.UUID
    verdict: str
    confidence: float
    comment: str | None
    created_at: datetime
    updated_at: datetime
    reviewer: Reviewer
    revisions: int
    """How many earlier verdicts this reviewer gave on this claim (kept in review_history)."""
