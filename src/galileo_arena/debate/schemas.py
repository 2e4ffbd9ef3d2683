"""What each debater must answer, as validated models, and the names of roles and phases.

Models answer loosely ("supported", confidence 85, one evidence ID as a bare string); the
``coerce_*`` functions accept those spellings of a valid answer, so that a retry or a fallback is
spent only on answers that really are invalid. The judge's decision is ``JudgeDecision`` from the
core; ``galileo_arena.debate.judge`` applies the same coercions to it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from galileo_arena.core.schemas import Verdict


class DebateRole(StrEnum):
    ORTHODOX = "Orthodox"
    HERETIC = "Heretic"
    SKEPTIC = "Skeptic"
    JUDGE = "Judge"


class Phase(StrEnum):
    SETUP = "setup"
    INDEPENDENT = "independent"
    CROSS_EXAM = "cross_exam"
    REVISION = "revision"
    DISPUTE = "dispute"
    JUDGE = "judge"


class Addressee(StrEnum):
    """Who a cross-examination question is for: one side, or both (only the Skeptic asks both)."""

    ORTHODOX = "Orthodox"
    HERETIC = "Heretic"
    BOTH = "Both"


class Admission(StrEnum):
    """How an answer stands: by its position, short of evidence, or unsure."""

    NONE = "none"
    INSUFFICIENT = "insufficient"
    UNCERTAIN = "uncertain"


_ID_SEPARATORS = re.compile(r"[,;\s]+")


def coerce_verdict(value: Any) -> Any:
    """``" supported "`` -> ``"SUPPORTED"``; anything else is left for validation to judge."""
    return value.strip().upper() if isinstance(value, str) else value


def coerce_confidence(value: Any) -> Any:
    """A percentage (``85``, ``"85%"``) -> a fraction; values already in [0, 1] are kept.

    Only (1, 100] is read as a percentage: 1 itself is full confidence, and anything above 100 is
    left out of range so that validation rejects it.
    """
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        try:
            value = float(text)
        except ValueError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value <= 100:
        return value / 100
    return value


def coerce_id_list(value: Any) -> Any:
    """Evidence IDs given as one string (``"CL01-E1, CL01-E2"``) -> a list of IDs."""
    if isinstance(value, str):
        return [part for part in _ID_SEPARATORS.split(value.strip()) if part]
    return value


def coerce_admission(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def coerce_addressee(value: Any) -> Any:
    return value.strip().capitalize() if isinstance(value, str) else value


LooseVerdict = Annotated[Verdict, BeforeValidator(coerce_verdict)]
EvidenceIds = Annotated[list[str], BeforeValidator(coerce_id_list)]
Confidence = Annotated[float, BeforeValidator(coerce_confidence), Field(ge=0.0, le=1.0)]
LooseAdmission = Annotated[Admission, BeforeValidator(coerce_admission)]
LooseAddressee = Annotated[Addressee, BeforeValidator(coerce_addressee)]
Text = Annotated[str, Field(min_length=1)]


class _Message(BaseModel):
    # Models add fields of their own; what matters is that the required ones are there.
    model_config = ConfigDict(extra="ignore")


class Proposal(_Message):
    """A debater's opening position (independent phase)."""

    proposed_verdict: LooseVerdict
    evidence_used: EvidenceIds
    key_points: list[str] = Field(min_length=1)
    uncertainties: list[str] = Field(default_factory=list)
    what_would_change_my_mind: list[str] = Field(default_factory=list)


class Question(_Message):
    to: LooseAddressee
    q: Text
    evidence_refs: EvidenceIds = Field(default_factory=list)


class QuestionsMessage(_Message):
    questions: list[Question] = Field(min_length=1, max_length=2)


class Answer(_Message):
    q: Text
    a: Text
    evidence_refs: EvidenceIds = Field(default_factory=list)
    admission: LooseAdmission = Admission.NONE


class AnswersMessage(_Message):
    answers: list[Answer] = Field(min_length=1, max_length=2)


class Revision(_Message):
    """A debater's final stance after the cross-examination."""

    final_proposed_verdict: LooseVerdict
    evidence_used: EvidenceIds
    what_i_changed: list[str] = Field(default_factory=list)
    remaining_disagreements: list[str] = Field(default_factory=list)
    confidence: Confidence


class DisputeQuestion(_Message):
    q: Text
    evidence_refs: EvidenceIds = Field(default_factory=list)


class DisputeQuestionsMessage(_Message):
    """The Skeptic's one decisive question when the sides still disagree."""

    questions: list[DisputeQuestion] = Field(min_length=1, max_length=1)


class DisputeAnswer(Answer):
    pass


class DisputeAnswersMessage(_Message):
    answers: list[DisputeAnswer] = Field(min_length=1, max_length=1)
