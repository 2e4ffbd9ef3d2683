"""The play screen, as pure functions over the engine's ``ui_response``: which input to show
(exactly the one the engine declares), the transcript with its calm fallback messages marked,
and the learner's form read back into the answer the engine expects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from curiouscore.engine.machine import (
    EVALUATION_UNAVAILABLE,
    EVALUATION_UNAVAILABLE_MOVE_ON,
    HINT_UNAVAILABLE,
    NARRATION_UNAVAILABLE,
    TEACHING_UNAVAILABLE,
)
from servicekit.errors import Conflict, Unprocessable

# What the engine says, in its own words, when an LLM role was slow or down: the page shows
# these as a calm notice rather than as the Game Master speaking.
FALLBACK_MESSAGES = frozenset(
    {
        NARRATION_UNAVAILABLE,
        EVALUATION_UNAVAILABLE,
        EVALUATION_UNAVAILABLE_MOVE_ON,
        HINT_UNAVAILABLE,
        TEACHING_UNAVAILABLE,
    }
)

# ui_mode -> the one widget the page renders.
WIDGETS = {
    "MCQ_SINGLE": "radio",
    "MCQ_MULTI": "checkboxes",
    "TRUE_FALSE": "true_false",
    "CHAT": "text",
    "CONTINUE_GATE": "continue",
}


@dataclass(frozen=True)
class Entry:
    role: str
    content: str
    fallback: bool
    hint: bool
    score: str | None
    """``"12/20"`` for graded feedback."""


def widget(ui: Mapping[str, Any]) -> str:
    """``radio``, ``checkboxes``, ``true_false``, ``text``, ``continue``, or the session's end
    (``completed``, ``abandoned``), or ``none`` before it starts."""
    if ui["status"] == "completed":
        return "completed"
    if ui["status"] == "abandoned":
        return "abandoned"
    if ui["status"] != "active":
        return "none"
    return WIDGETS.get(ui["ui_mode"], "none")


def transcript(ui: Mapping[str, Any]) -> list[Entry]:
    entries = []
    for message in ui["messages"]:
        metadata = message.get("metadata") or {}
        score = None
        if message["role"] == "gm" and "score" in metadata and metadata.get("max"):
            score = f"{metadata['score']}/{metadata['max']}"
        entries.append(
            Entry(
                role=message["role"],
                content=message["content"],
                fallback=message["role"] == "gm" and message["content"] in FALLBACK_MESSAGES,
                hint=bool(metadata.get("hint")),
                score=score,
            )
        )
    return entries


def llm_trouble(entries: Sequence[Entry]) -> bool:
    """The Game Master's latest word was a fallback: the page says calmly that play goes on."""
    last = next((e for e in reversed(entries) if e.role == "gm"), None)
    return last is not None and last.fallback


def answer_from_form(ui_mode: str, option_count: int, form: Mapping[str, Sequence[str]]) -> Any:
    """The answer for ``POST /sessions/{id}/attempt`` from the play form's fields.

    ``choice`` (radio, true/false: an option index), ``choices`` (checkboxes), ``text``.
    """
    if ui_mode in ("MCQ_SINGLE", "TRUE_FALSE"):
        values = form.get("choice") or []
        if not values:
            raise Unprocessable("Choose an answer first", code="invalid_answer")
        return _index(values[0], option_count)
    if ui_mode == "MCQ_MULTI":
        values = form.get("choices") or []
        if not values:
            raise Unprocessable("Choose at least one answer", code="invalid_answer")
        return sorted({_index(v, option_count) for v in values})
    if ui_mode == "CHAT":
        text = (form.get("text") or [""])[0].strip()
        if not text:
            raise Unprocessable("Write your answer first", code="invalid_answer")
        return text
    # As the API answers an attempt on a gate: the session is in the wrong state for it.
    raise Conflict("This step takes no answer: use the button it shows", code="not_allowed")


def _index(value: str, option_count: int) -> int:
    try:
        index = int(value)
    except ValueError:
        raise Unprocessable("Not one of the options", code="invalid_answer") from None
    if not 0 <= index < option_count:
        raise Unprocessable("Not one of the options", code="invalid_answer")
    return index
