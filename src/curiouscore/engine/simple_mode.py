"""Simple (prompt-driven) challenges: the metadata contract and how the engine reads a reply.

The Game Master of a simple challenge steers the interface with a ``<metadata>{json}</metadata>``
block at the end of each reply. The engine treats it as a proposal: the block is removed from
what the learner sees, the answer key it may carry stays server-side, the proposed score is
clamped to what is left of the budget, and a finished session is passed or failed by the
engine's own ``passing_score`` arithmetic, never by the model's claim.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from curiouscore.engine.grading import clamp_llm_score

_METADATA = re.compile(r"<metadata>\s*(?P<body>.*?)\s*</metadata>", re.DOTALL | re.IGNORECASE)

# camelCase metadata key -> the progress field clients read.
PROGRESS_FIELDS = {
    "questionNumber": "question_number",
    "totalQuestions": "total_questions",
    "progressPercent": "progress_percent",
    "phase": "phase",
    "totalPhases": "total_phases",
    "phaseName": "phase_name",
    "milestoneId": "milestone_id",
    "totalMilestones": "total_milestones",
    "achievedMilestones": "achieved_milestones",
    "triggerId": "trigger_id",
    "totalTriggers": "total_triggers",
    "activatedTriggers": "activated_triggers",
}

_MODES = {"mcq": "MCQ_SINGLE", "text": "CHAT", "continue": "CONTINUE_GATE", "upload": "CHAT"}


@dataclass(frozen=True)
class Directive:
    """A Game Master reply as the engine accepts it."""

    content: str
    ui_mode: str = "CHAT"
    options: list[str] = field(default_factory=list)
    correct_answer: int | None = None
    score_change: int = 0
    complete: bool = False
    progress: dict[str, Any] = field(default_factory=dict)


def split_metadata(reply: str) -> tuple[str, dict[str, Any] | None]:
    """(visible text, metadata or None); every metadata block is removed from the text."""
    blocks = list(_METADATA.finditer(reply))
    visible = _METADATA.sub("", reply).strip()
    if not blocks:
        return visible, None
    try:
        metadata = json.loads(
            blocks[-1].group("body"), parse_float=_finite, parse_constant=_not_a_number
        )
    except ValueError:  # invalid JSON, or NaN/Infinity, which no event could store
        return visible, None
    return visible, metadata if isinstance(metadata, dict) else None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _not_a_number(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def read_reply(reply: str, *, remaining_budget: int, allow_score: bool) -> Directive:
    """The engine's reading of one teaching turn (see module docstring)."""
    visible, metadata = split_metadata(reply)
    if metadata is None:
        return Directive(content=visible or "Let's keep going.")
    mode = _MODES.get(str(metadata.get("questionType", "text")).lower(), "CHAT")
    options = [str(o) for o in metadata.get("options") or [] if isinstance(o, str | int | float)]
    key = metadata.get("correctAnswer")
    if mode == "MCQ_SINGLE" and len(options) < 2:
        mode, options = "CHAT", []  # an MCQ without choices cannot be answered: free text instead
    if mode != "MCQ_SINGLE":
        options, key = [], None
    if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < len(options):
        key = None
    score = clamp_llm_score(metadata.get("scoreChange", 0), remaining_budget) if allow_score else 0
    progress = {
        name: metadata[source]
        for source, name in PROGRESS_FIELDS.items()
        if isinstance(metadata.get(source), str | int | float | list)
    }
    return Directive(
        content=visible or "Let's keep going.",
        ui_mode=mode,
        options=options,
        correct_answer=key,
        score_change=score,
        complete=metadata.get("isComplete") is True,
        progress=progress,
    )


@dataclass(frozen=True)
class ProgressTracking:
    """How a simple challenge reports progress (``custom_variables.progress_tracking``).

    ``mode``: ``questions`` (``total`` of them), or ``phases`` / ``milestones`` / ``triggers``
    (named in ``items``). Only the contract's wording changes between modes.
    """

    mode: str = "questions"
    total: int = 5
    items: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.items) if self.mode != "questions" else self.total

    @classmethod
    def from_config(cls, config: object) -> ProgressTracking:
        """The tracking a config asks for; ValueError when it cannot work (an empty list...)."""
        if config is None:
            return cls()
        if not isinstance(config, dict):
            raise ValueError("progress_tracking must be an object")
        mode = config.get("mode", "questions")
        if mode == "questions":
            total = config.get("total", 5)
            if isinstance(total, bool) or not isinstance(total, int) or not 1 <= total <= 100:
                raise ValueError("progress_tracking.total must be an integer from 1 to 100")
            return cls(mode, total)
        if mode not in ("phases", "milestones", "triggers"):
            raise ValueError("progress_tracking.mode: questions, phases, milestones or triggers")
        items = config.get("items")
        if not isinstance(items, list) or not items or len(items) > 50:
            raise ValueError(f"progress_tracking.items must name 1 to 50 {mode}")
        if not all(isinstance(item, str) and item.strip() for item in items):
            raise ValueError("progress_tracking.items must be non-empty texts")
        return cls(mode, len(items), tuple(item.strip() for item in items))


_MODE_FIELDS = {
    "questions": (
        '"questionNumber": 1, "totalQuestions": {count}, "isQuestionComplete": false',
        "Ask {count} questions, one at a time; each is worth about {share} points.",
    ),
    "phases": (
        '"phase": 1, "totalPhases": {count}, "phaseName": "...", "isPhaseComplete": false',
        "Work through these {count} phases in order: {names}.",
    ),
    "milestones": (
        '"milestoneId": "...", "milestoneName": "...", "isMilestoneAchieved": false, '
        '"achievedMilestones": [], "totalMilestones": {count}',
        "The learner must reach these {count} milestones, about {share} points each: {names}.",
    ),
    "triggers": (
        '"triggerId": "...", "isTriggerActivated": false, "activatedTriggers": [], '
        '"totalTriggers": {count}',
        "Watch for these {count} triggers, about {share} points each: {names}.",
    ),
}


def metadata_contract(
    *, xp_reward: int, passing_score: int, tracking: ProgressTracking | None = None
) -> str:
    """Appended to a simple challenge's system prompt: how each reply must end."""
    tracking = tracking or ProgressTracking()
    fields, plan = _MODE_FIELDS[tracking.mode]
    values = {
        "count": tracking.count,
        "share": xp_reward // max(tracking.count, 1),
        "names": ", ".join(tracking.items),
    }
    return (
        "\n\n## Response format (required)\n"
        f"{plan.format(**values)}\n"
        "End EVERY reply with one metadata block, exactly like this:\n"
        '<metadata>{"questionType": "mcq", "options": ["...", "...", "..."], '
        '"correctAnswer": 0, "scoreChange": 0, "progressPercent": 10, '
        f"{fields.format(**values)}, "
        '"isComplete": false}</metadata>\n'
        '- questionType: "mcq" (give 3 to 5 fresh options and the index of the right one in '
        'correctAnswer), "text" (free answer) or "continue" (a button to move on).\n'
        f"- scoreChange: points earned by the learner's last answer, 0 to {xp_reward}; the "
        f"total over the whole challenge may not exceed {xp_reward}.\n"
        f"- isComplete: true only once the lesson is finished. Passing needs {passing_score}% "
        f"of {xp_reward} points.\n"
        "- Never reveal correctAnswer in the visible text."
    )
