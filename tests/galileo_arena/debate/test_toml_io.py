"""TOML reading (fences, preamble, JSON is not TOML) and writing (None dropped, floats kept)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

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
from galileo_arena.debate.toml_io import parse_toml, to_toml

EVERY_SCHEMA: list[BaseModel] = [
    Proposal(
        proposed_verdict=Verdict.REFUTED,
        evidence_used=["AC01-E1", "AC01-E2"],
        key_points=["E1 shows the opposite", "E2 is older"],
        uncertainties=["sample size"],
        what_would_change_my_mind=["a larger trial"],
    ),
    QuestionsMessage(
        questions=[
            Question(to=Addressee.HERETIC, q="Does E1 cover 2024?", evidence_refs=["AC01-E1"]),
            Question(to=Addressee.BOTH, q="What is missing?"),
        ]
    ),
    AnswersMessage(
        answers=[Answer(q="Does E1 cover 2024?", a="No.", admission=Admission.INSUFFICIENT)]
    ),
    Revision(
        final_proposed_verdict=Verdict.INSUFFICIENT,
        evidence_used=[],
        what_i_changed=["weaker stance"],
        remaining_disagreements=["uncertain about E2"],
        confidence=0.4,
    ),
    DisputeQuestionsMessage(questions=[DisputeQuestion(q="Which source is newer?")]),
    DisputeAnswersMessage(answers=[DisputeAnswer(q="Which?", a="E2", evidence_refs=["AC01-E2"])]),
]


@pytest.mark.parametrize("message", EVERY_SCHEMA, ids=lambda m: type(m).__name__)
def test_every_schema_round_trips_through_toml(message: BaseModel):
    text = to_toml(message.model_dump(mode="json"))
    assert type(message).model_validate(parse_toml(text)) == message


def test_lists_of_tables_use_array_of_tables_syntax_when_long():
    long_question = "Why does the evidence pack leave out every measurement taken after 2020? " * 2
    text = to_toml({"questions": [{"to": "Heretic", "q": long_question, "evidence_refs": []}]})
    assert "[[questions]]" in text
    assert parse_toml(text)["questions"][0]["q"] == long_question


def test_array_of_tables_written_by_a_model_is_read():
    text = (
        '[[questions]]\nto = "Orthodox"\nq = "first?"\n\n'
        '[[questions]]\nto = "Both"\nq = "second?"\n'
    )
    message = QuestionsMessage.model_validate(parse_toml(text))
    assert [q.to for q in message.questions] == [Addressee.ORTHODOX, Addressee.BOTH]


def test_integer_confidence_is_written_as_a_float():
    text = to_toml({"confidence": 1, "round": 3})
    assert "confidence = 1.0" in text
    table = parse_toml(text)
    assert isinstance(table["confidence"], float)
    assert isinstance(table["round"], int)


def test_none_values_are_dropped_at_every_depth():
    text = to_toml({"a": None, "b": {"c": None, "d": 1}, "e": [1, None, 2]})
    assert parse_toml(text) == {"b": {"d": 1}, "e": [1, 2]}


def test_enums_are_written_as_their_values():
    assert parse_toml(to_toml({"verdict": Verdict.SUPPORTED})) == {"verdict": "SUPPORTED"}


def test_empty_arrays_round_trip():
    text = to_toml({"evidence_used": [], "key_points": ["x"]})
    assert parse_toml(text) == {"evidence_used": [], "key_points": ["x"]}


def test_special_characters_round_trip():
    tricky = 'He said "no" \\ then\nleft; tab\there, accents éü, emoji 🌍, and ```fences```'
    assert parse_toml(to_toml({"a": tricky})) == {"a": tricky}


@pytest.mark.parametrize(
    "text",
    [
        '```toml\nverdict = "SUPPORTED"\n```',
        '```\nverdict = "SUPPORTED"\n```',
        '  ```TOML  \n   verdict = "SUPPORTED"  \n  ```  ',
        'Here is my answer:\n```toml\nverdict = "SUPPORTED"\n```\nHope this helps.',
    ],
    ids=["toml-fence", "bare-fence", "whitespace", "prose-around"],
)
def test_fenced_toml_is_read(text: str):
    assert parse_toml(text) == {"verdict": "SUPPORTED"}


def test_preamble_before_the_first_toml_line_is_dropped():
    text = (
        "Sure! Here is my proposal, as asked.\nI looked at both sources.\n"
        'proposed_verdict = "REFUTED"\nevidence_used = ["E1"]'
    )
    assert parse_toml(text) == {"proposed_verdict": "REFUTED", "evidence_used": ["E1"]}


def test_preamble_before_a_table_header_is_dropped():
    text = 'My questions:\n[[questions]]\nq = "why?"'
    assert parse_toml(text) == {"questions": [{"q": "why?"}]}


def test_empty_text_is_an_empty_table():
    assert parse_toml("") == {}
    assert parse_toml("  \n ") == {}


@pytest.mark.parametrize(
    "text",
    [
        '{"verdict": "SUPPORTED", "confidence": 0.9}',
        "I think the claim is true.",
        'verdict = "SUPPORTED"\nverdict = "REFUTED"',
        'verdict = "unterminated',
    ],
    ids=["json", "prose", "duplicate-key", "unterminated"],
)
def test_text_that_is_not_toml_raises_value_error(text: str):
    with pytest.raises(ValueError, match="not valid TOML"):
        parse_toml(text)
