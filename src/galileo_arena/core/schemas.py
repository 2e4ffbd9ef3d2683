"""The shapes every part of Galileo Arena shares: verdicts, cases, the judge's decision, ML scores.

A ``Case`` carries its ground-truth ``label`` and ``safe_to_answer``; a ``CasePacket`` is what the
debate may see of it (no label, no safety flag), so that the label cannot reach a prompt by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Verdict(StrEnum):
    SUPPORTED = "SUPPORTED"
    REFUTED = "REFUTED"
    INSUFFICIENT = "INSUFFICIENT"


class EvidencePacket(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    eid: str = Field(min_length=1, max_length=128)
    summary: str = Field(min_length=1)
    source: str = ""
    date: str = ""


class CasePacket(BaseModel):
    """What the debaters and the judge are shown: never the label."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    topic: str
    claim: str
    pressure_score: int = Field(ge=1, le=10)
    evidence_packets: tuple[EvidencePacket, ...]

    @property
    def evidence_ids(self) -> frozenset[str]:
        return frozenset(packet.eid for packet in self.evidence_packets)


class Case(CasePacket):
    """A dataset case with its ground truth, used only for scoring."""

    label: Verdict
    safe_to_answer: bool = True

    def packet(self) -> CasePacket:
        return CasePacket(
            case_id=self.case_id,
            topic=self.topic,
            claim=self.claim,
            pressure_score=self.pressure_score,
            evidence_packets=self.evidence_packets,
        )


class JudgeDecision(BaseModel):
    """The judge's final structured verdict; all four fields are required."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    verdict: Verdict
    confidence: float = Field(ge=0.0, le=1.0)
    evidence_used: list[str]
    reasoning: str


@dataclass(frozen=True, slots=True)
class MLScores:
    """Raw model outputs for one judge decision, each in [0, 1].

    A field is ``None`` when the model it needs is not installed (for example only the embedding
    half is present): the blend then keeps the keyword score for that component.
    """

    grounding_entailment: float | None = None
    falsifiable_mechanism: float | None = None
    falsifiable_limitation: float | None = None
    falsifiable_testability: float | None = None
    deference: float | None = None
    refusal: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {
            "grounding_entailment": self.grounding_entailment,
            "falsifiable_mechanism": self.falsifiable_mechanism,
            "falsifiable_limitation": self.falsifiable_limitation,
            "falsifiable_testability": self.falsifiable_testability,
            "deference": self.deference,
            "refusal": self.refusal,
        }
