"""The play screen's pure pieces: the one widget per ui_mode, fallback messages marked calm,
and form fields read back into the engine's answers (with clear errors)."""

from __future__ import annotations

from typing import Any

import pytest

from curiouscore.engine.machine import EVALUATION_UNAVAILABLE, NARRATION_UNAVAILABLE
from curiouscore.web.play_view import answer_from_form, llm_trouble, transcript, widget
from servicekit.errors import Conflict, Unprocessable


def ui(status: str = "active", mode: str = "", messages: list[Any] | None = None) -> dict:
    return {"status": status, "ui_mode": mode, "messages": messages or []}


@pytest.mark.parametrize(
    ("status", "mode", "expected"),
    [
        ("active", "MCQ_SINGLE", "radio"),
        ("active", "MCQ_MULTI", "checkboxes"),
        ("active", "TRUE_FALSE", "true_false"),
        ("active", "CHAT", "text"),
        ("active", "CONTINUE_GATE", "continue"),
        ("active", "FILE_UPLOAD", "none"),  # never an input the engine did not declare
        ("completed", "COMPLETED", "completed"),
        ("completed", "CHAT", "completed"),
        ("abandoned", "ABANDONED", "abandoned"),
        ("created", "", "none"),
    ],
)
def test_the_widget_is_the_one_the_engine_declares(status: str, mode: str, expected: str) -> None:
    assert widget(ui(status, mode)) == expected


def test_transcript_marks_fallbacks_hints_and_scores() -> None:
    messages = [
        {"role": "gm", "content": NARRATION_UNAVAILABLE, "metadata": None},
        {"role": "user", "content": "my answer", "metadata": {"step_index": 0}},
        {"role": "gm", "content": "Good: 12 of 20.", "metadata": {"score": 12, "max": 20}},
        {"role": "gm", "content": "💡 Hint: think", "metadata": {"hint": True}},
        {"role": "user", "content": NARRATION_UNAVAILABLE, "metadata": None},
    ]

    entries = transcript(ui(messages=messages))

    assert [e.fallback for e in entries] == [True, False, False, False, False]
    assert [e.hint for e in entries] == [False, False, False, True, False]
    assert [e.score for e in entries] == [None, None, "12/20", None, None]


def test_llm_trouble_follows_the_latest_game_master_message() -> None:
    fallback = {"role": "gm", "content": EVALUATION_UNAVAILABLE, "metadata": None}
    fine = {"role": "gm", "content": "Welcome!", "metadata": None}
    learner = {"role": "user", "content": "hi", "metadata": None}

    assert llm_trouble(transcript(ui(messages=[fine, fallback, learner])))
    assert not llm_trouble(transcript(ui(messages=[fallback, fine])))
    assert not llm_trouble(transcript(ui(messages=[])))


@pytest.mark.parametrize(
    ("mode", "form", "answer"),
    [
        ("MCQ_SINGLE", {"choice": ["2"]}, 2),
        ("TRUE_FALSE", {"choice": ["1"]}, 1),
        ("MCQ_MULTI", {"choices": ["3", "0", "3"]}, [0, 3]),
        ("CHAT", {"text": ["  an answer \n"]}, "an answer"),
    ],
)
def test_form_fields_become_the_engines_answer(mode: str, form: dict, answer: Any) -> None:
    assert answer_from_form(mode, 4, form) == answer


@pytest.mark.parametrize(
    ("mode", "form", "message"),
    [
        ("MCQ_SINGLE", {}, "Choose an answer first"),
        ("MCQ_SINGLE", {"choice": ["4"]}, "Not one of the options"),
        ("TRUE_FALSE", {"choice": ["yes"]}, "Not one of the options"),
        ("MCQ_MULTI", {"choices": []}, "Choose at least one answer"),
        ("MCQ_MULTI", {"choices": ["-1"]}, "Not one of the options"),
        ("CHAT", {"text": ["   "]}, "Write your answer first"),
    ],
)
def test_bad_forms_get_a_clear_422(mode: str, form: dict, message: str) -> None:
    with pytest.raises(Unprocessable) as raised:
        answer_from_form(mode, 4, form)
    assert raised.value.status_code == 422
    assert raised.value.message.startswith(message)


def test_an_answer_to_a_step_that_takes_none_is_a_conflict() -> None:
    with pytest.raises(Conflict) as raised:
        answer_from_form("CONTINUE_GATE", 0, {"text": ["x"]})
    assert raised.value.status_code == 409
