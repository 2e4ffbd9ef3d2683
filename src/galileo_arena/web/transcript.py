"""How one debate message reads in the dashboard: what kind of turn it is, and its fields.

Debaters' messages are stored as their validated answer in JSON, the judge's as its raw reply
(TOML or JSON). Each is read back with the schema its phase asks for, so the page can show a
proposal as a verdict with key points, a cross-examination as questions and answers, and the
judge's decision with its confidence. A message that does not read (a live message cut at
2000 characters, an invalid reply kept for the record) is shown as its text.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from galileo_arena.debate.judge import read_judge_reply
from galileo_arena.debate.reply_parsing import first_valid
from galileo_arena.debate.schemas import (
    AnswersMessage,
    DebateRole,
    DisputeAnswersMessage,
    DisputeQuestionsMessage,
    Phase,
    Proposal,
    QuestionsMessage,
    Revision,
)

# The shapes a debater's message may take in each phase, tried in order, with their kind.
_DEBATER_SHAPES: dict[str, tuple[tuple[str, type[BaseModel]], ...]] = {
    Phase.INDEPENDENT: (("proposal", Proposal),),
    Phase.CROSS_EXAM: (("questions", QuestionsMessage), ("answers", AnswersMessage)),
    Phase.REVISION: (("revision", Revision),),
    Phase.DISPUTE: (
        ("dispute_question", DisputeQuestionsMessage),
        ("dispute_answer", DisputeAnswersMessage),
    ),
}

PHASE_TITLES = {
    Phase.SETUP: "Setup",
    Phase.INDEPENDENT: "Independent proposals",
    Phase.CROSS_EXAM: "Cross-examination",
    Phase.REVISION: "Revision",
    Phase.DISPUTE: "Dispute",
    Phase.JUDGE: "Judge",
}


@dataclass(frozen=True, slots=True)
class MessageView:
    """``kind`` is proposal, questions, answers, revision, dispute_question, dispute_answer,
    judge, or text (``body`` is then None and ``text`` is shown as it is)."""

    role: str
    phase: str
    round: int
    kind: str
    body: BaseModel | None
    text: str
    truncated: bool = False


def message_view(
    role: str, phase: str, round: int, content: str, *, truncated: bool = False
) -> MessageView:
    def view(kind: str, body: BaseModel | None) -> MessageView:
        return MessageView(role, phase, round, kind, body, content, truncated)

    if role == DebateRole.JUDGE:
        decision = read_judge_reply(content).value
        return view("judge", decision) if decision is not None else view("text", None)
    for kind, shape in _DEBATER_SHAPES.get(phase, ()):
        body = first_valid(content, shape.model_validate).value
        if body is not None:
            return view(kind, body)
    return view("text", None)


def phase_title(phase: str) -> str:
    return PHASE_TITLES.get(phase, phase.replace("_", " ").capitalize())
