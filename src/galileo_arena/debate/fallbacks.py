"""The safe answers used when a debater's reply is still invalid after its one retry.

Each says plainly that nothing valid was produced and claims no evidence, so the debate can go on
without inventing a position for the model; the message is stored with ``valid=False``.
"""

from __future__ import annotations

from galileo_arena.core.schemas import Verdict
from galileo_arena.debate.schemas import (
    Addressee,
    Admission,
    Answer,
    AnswersMessage,
    DisputeAnswer,
    DisputeAnswersMessage,
    DisputeQuestion,
    DisputeQuestionsMessage,
    Proposal,
    Question,
    QuestionsMessage,
    Revision,
)

UNABLE_TO_ASK = "Unable to generate question"
UNABLE_TO_ANSWER = "Unable to generate answer"

PROPOSAL = Proposal(
    proposed_verdict=Verdict.INSUFFICIENT,
    evidence_used=[],
    key_points=["Failed to produce a valid proposal"],
)

QUESTIONS = QuestionsMessage(questions=[Question(to=Addressee.BOTH, q=UNABLE_TO_ASK)])


def answers_to(questions: list[str]) -> AnswersMessage:
    """One "unable" answer per question asked (at most two), each admitting insufficiency."""
    asked = questions[:2] or [UNABLE_TO_ASK]
    return AnswersMessage(
        answers=[Answer(q=q, a=UNABLE_TO_ANSWER, admission=Admission.INSUFFICIENT) for q in asked]
    )


REVISION = Revision(
    final_proposed_verdict=Verdict.INSUFFICIENT,
    evidence_used=[],
    what_i_changed=["Failed to produce a valid revision"],
    confidence=0.0,
)

DISPUTE_QUESTION = DisputeQuestionsMessage(questions=[DisputeQuestion(q=UNABLE_TO_ASK)])


def dispute_answer_to(question: str) -> DisputeAnswersMessage:
    return DisputeAnswersMessage(
        answers=[DisputeAnswer(q=question, a=UNABLE_TO_ANSWER, admission=Admission.INSUFFICIENT)]
    )
