"""Response bodies of the datasets API. Labels and ``safe_to_answer`` are never part of them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class DatasetSummary(BaseModel):
    id: str
    version: str
    description: str
    case_count: int


class EvidenceOut(BaseModel):
    eid: str
    summary: str
    source: str
    date: str


class CaseOut(BaseModel):
    case_id: str
    topic: str
    claim: str
    pressure_score: int
    evidence_packets: list[EvidenceOut]


class DatasetDetail(DatasetSummary):
    meta: dict[str, Any]
    cases: list[CaseOut]


class ImportReport(BaseModel):
    loaded: list[str]
    unchanged: list[str]
    errors: list[str]
