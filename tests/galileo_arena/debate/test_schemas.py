"""The debaters' answer schemas: their constraints and the loose spellings they accept."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from galileo_arena.core.schemas import JudgeDecision, Verdict
from galileo_arena.debate.schemas import (
    Addressee,
    Admission,
    AnswersMessage,
    DisputeAnswersMessage,
    DisputeQuestionsMessage,
    Proposal,
    QuestionsMessage,
    Revision,
)
from galileo_arena.debate.structured import json_schema_of


def test_a_proposal_needs_a_verdict_evidence_and_a_key_point():
    with pytest.raises(ValidationError):
        Proposal.model_validate({"proposed_verdict": "SUPPORTED", "evidence_used": []})
    with pytest.raises(ValidationError):
        Proposal.model_validate(
            {"proposed_verdict": "SUPPORTED", "evidence_used": [], "key_points": []}
        )
    proposal = Proposal.model_validate(
        {"proposed_verdict": "supported", "evidence_used": "E1", "key_points": ["k"]}
    )
    assert proposal.proposed_verdict is Verdict.SUPPORTED
    assert proposal.evidence_used == ["E1"]
    assert proposal.uncertainties == [] and proposal.what_would_change_my_mind == []


@pytest.mark.parametrize("count", [0, 3])
def test_questions_and_answers_hold_one_or_two_items(count: int):
    with pytest.raises(ValidationError):
        QuestionsMessage.model_validate({"questions": [{"to": "Both", "q": "?"}] * count})
    with pytest.raises(ValidationError):
        AnswersMessage.model_validate({"answers": [{"q": "?", "a": "!"}] * count})


def test_a_question_is_for_orthodox_heretic_or_both():
    message = QuestionsMessage.model_validate({"questions": [{"to": "both", "q": "?"}]})
    assert message.questions[0].to is Addressee.BOTH
    with pytest.raises(ValidationError):
        QuestionsMessage.model_validate({"questions": [{"to": "Judge", "q": "?"}]})


def test_an_answer_admits_none_insufficient_or_uncertain():
    answer = AnswersMessage.model_validate({"answers": [{"q": "?", "a": "!"}]}).answers[0]
    assert answer.admission is Admission.NONE
    with pytest.raises(ValidationError):
        AnswersMessage.model_validate({"answers": [{"q": "?", "a": "!", "admission": "maybe"}]})


def test_a_revision_needs_a_confidence_between_zero_and_one():
    base = {"final_proposed_verdict": "REFUTED", "evidence_used": []}
    with pytest.raises(ValidationError):
        Revision.model_validate(base)
    with pytest.raises(ValidationError):
        Revision.model_validate({**base, "confidence": 101})
    assert Revision.model_validate({**base, "confidence": 70}).confidence == pytest.approx(0.7)


def test_dispute_messages_hold_exactly_one_item():
    with pytest.raises(ValidationError):
        DisputeQuestionsMessage.model_validate({"questions": [{"q": "a"}, {"q": "b"}]})
    with pytest.raises(ValidationError):
        DisputeAnswersMessage.model_validate({"answers": []})


@pytest.mark.parametrize(
    "model",
    [
        Proposal,
        QuestionsMessage,
        AnswersMessage,
        Revision,
        DisputeQuestionsMessage,
        DisputeAnswersMessage,
        JudgeDecision,
    ],
)
def test_json_schemas_sent_to_providers_are_self_contained_and_valid(model: type[BaseModel]):
    schema = json_schema_of(model)
    assert "$ref" not in str(schema) and "$defs" not in schema
    Draft202012Validator.check_schema(schema)
