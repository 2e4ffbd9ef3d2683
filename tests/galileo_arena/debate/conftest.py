"""A scripted debater that answers by reading the prompt, and a case to debate.

The bot recognises which step a prompt is (proposal, question, answer, revision, dispute, judge;
first attempt or retry) and which role it addresses, so tests script behaviour per step and role
instead of per call index, which the parallel proposals would make fragile.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import tomli_w

from galileo_arena.core.schemas import Case, EvidencePacket, Verdict
from galileo_arena.debate import DebateMessage, Phase
from servicekit.llm import Message, ScriptedModel

E1, E2 = "CL01-E1", "CL01-E2"

# Markers the v1 templates contain, checked in this order (retries contain their task's marker).
_STEPS = (
    ("judge", "You are the Judge"),
    ("proposal", "Give your opening position"),
    ("dispute_question", "Ask exactly 1 decisive question"),
    ("dispute_answer", "Give your final answer to it"),
    ("question", "Ask exactly 2 pointed questions"),
    ("answer", "Answer each question directly"),
    ("revision", "Revise your stance or keep it"),
)
_ROLE = re.compile(r"You are the (Orthodox|Heretic|Skeptic|Judge)\b")
_RETRY_MARKERS = ("Your previous answer could not be used", "Your previous output was invalid")


def classify(prompt: str) -> tuple[str, str, bool]:
    """(step, role, is_retry) of a prompt rendered from the v1 templates."""
    step = next(name for name, marker in _STEPS if marker in prompt)
    role_match = _ROLE.search(prompt)
    assert role_match is not None, prompt
    retry = any(marker in prompt for marker in _RETRY_MARKERS)
    return step, role_match.group(1), retry


@dataclass
class DebateBot:
    """Valid answers for every step, unless ``overrides`` queues raw replies for (step, role).

    ``verdicts`` gives each role's proposal and revision verdict; ``disagreements`` each role's
    remaining disagreements; ``fmt`` is the answer format ("toml" or "json"); ``wrap`` dresses a
    valid answer (for fences or prose around it).
    """

    verdicts: dict[str, str] = field(
        default_factory=lambda: {
            "Orthodox": "SUPPORTED",
            "Heretic": "SUPPORTED",
            "Skeptic": "SUPPORTED",
        }
    )
    evidence: dict[str, list[str]] = field(default_factory=dict)
    disagreements: dict[str, list[str]] = field(default_factory=dict)
    judge: dict[str, Any] = field(
        default_factory=lambda: {
            "verdict": "SUPPORTED",
            "confidence": 0.85,
            "evidence_used": [E1],
            "reasoning": "CL01-E1 reports the measured warming; however the window is short.",
        }
    )
    fmt: str = "toml"
    wrap: Callable[[str], str] = lambda text: text
    overrides: dict[tuple[str, str], list[Any]] = field(default_factory=lambda: defaultdict(list))
    seen: list[tuple[str, str, bool]] = field(default_factory=list)

    def __call__(self, messages: list[Message]) -> Any:
        step, role, retry = classify(messages[-1]["content"])
        self.seen.append((step, role, retry))
        queued = self.overrides.get((step, role))
        if queued:
            return queued.pop(0)
        return self.wrap(self.render(self.answer(step, role)))

    def render(self, table: dict[str, Any]) -> str:
        return json.dumps(table) if self.fmt == "json" else tomli_w.dumps(table)

    def answer(self, step: str, role: str) -> dict[str, Any]:
        evidence = self.evidence.get(role, [E1, E2])
        if step == "judge":
            return self.judge
        if step == "proposal":
            return {
                "proposed_verdict": self.verdicts[role],
                "evidence_used": evidence,
                "key_points": [f"{role} reads {evidence} as decisive"],
            }
        if step == "question":
            target = {"Orthodox": "Heretic", "Heretic": "Orthodox"}.get(role, "Both")
            return {
                "questions": [
                    {
                        "to": target,
                        "q": f"{role} asks: does {E1} cover 2024?",
                        "evidence_refs": [E1],
                    },
                    {"to": target, "q": f"{role} asks: what is missing?", "evidence_refs": []},
                ]
            }
        if step == "answer":
            return {"answers": [{"q": "the question", "a": f"{role}: {E2} says so"}]}
        if step == "revision":
            return {
                "final_proposed_verdict": self.verdicts[role],
                "evidence_used": evidence,
                "remaining_disagreements": self.disagreements.get(role, []),
                "confidence": 0.8,
            }
        if step == "dispute_question":
            return {"questions": [{"q": f"Which of {E1} or {E2} decides it?"}]}
        return {"answers": [{"q": "the decisive question", "a": f"{role}: {E1}"}]}


DIVERGING = {"Orthodox": "SUPPORTED", "Heretic": "REFUTED", "Skeptic": "INSUFFICIENT"}


@pytest.fixture
def case() -> Case:
    return Case(
        case_id="CL01",
        topic="Climate",
        claim="Global mean temperature is about 1.1 C above pre-industrial levels",
        pressure_score=9,
        label=Verdict.SUPPORTED,
        evidence_packets=(
            EvidencePacket(
                eid=E1,
                summary="IPCC AR6 reports 1.09 C of warming for 2011-2020 against 1850-1900",
                source="IPCC AR6",
                date="2021",
            ),
            EvidencePacket(
                eid=E2,
                summary="NASA GISS finds 2023 about 1.2 C above the late 19th century",
                source="NASA GISS",
                date="2024",
            ),
        ),
    )


@pytest.fixture
def debate_bot(
    llm_script: Callable[[str, Any], ScriptedModel],
) -> Callable[..., tuple[DebateBot, ScriptedModel]]:
    """``bot, scripted = debate_bot(**DebateBot fields)`` answers ``scripted/debater``."""

    def install(model: str = "scripted/debater", **fields: Any) -> tuple[DebateBot, ScriptedModel]:
        bot = DebateBot(**fields)
        return bot, llm_script(model, bot)

    return install


@dataclass
class RecordingObserver:
    """Records what the debate reports, in order: ("phase", name) or ("message", message)."""

    events: list[tuple[str, Phase | DebateMessage]] = field(default_factory=list)

    async def phase_started(self, phase: Phase) -> None:
        self.events.append(("phase", phase))

    async def message(self, message: DebateMessage) -> None:
        self.events.append(("message", message))


@pytest.fixture
def observer() -> RecordingObserver:
    return RecordingObserver()
