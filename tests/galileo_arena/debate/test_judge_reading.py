"""Reading the judge's reply: formats tried in order, normalisation, and what makes it invalid."""

from __future__ import annotations

import pytest

from galileo_arena.core.schemas import Verdict
from galileo_arena.debate.judge import normalise_judge_fields, read_judge_reply

VALID_TOML = (
    'verdict = "REFUTED"\nconfidence = 0.8\nevidence_used = ["AC01-E1"]\n'
    'reasoning = "AC01-E1 contradicts the claim."'
)


@pytest.mark.parametrize(
    "text",
    [
        VALID_TOML,
        f"```toml\n{VALID_TOML}\n```",
        '{"verdict": "REFUTED", "confidence": 0.8, "evidence_used": ["AC01-E1"],'
        ' "reasoning": "AC01-E1 contradicts the claim."}',
        'My decision follows. {"verdict": "REFUTED", "confidence": 0.8, '
        '"evidence_used": ["AC01-E1"], "reasoning": "AC01-E1 contradicts the claim."} Thanks.',
        '```json\n{"verdict": "REFUTED", "confidence": 0.8, "evidence_used": ["AC01-E1"],'
        ' "reasoning": "AC01-E1 contradicts the claim."}\n```',
    ],
    ids=["toml", "fenced-toml", "json", "json-in-prose", "fenced-json"],
)
def test_a_decision_is_read_from_toml_json_or_a_brace_span(text: str):
    reading = read_judge_reply(text)
    assert reading.error is None
    assert reading.value is not None
    assert reading.value.verdict is Verdict.REFUTED
    assert reading.value.evidence_used == ["AC01-E1"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("supported", Verdict.SUPPORTED),
        ("  Refuted \\n", Verdict.REFUTED),  # a TOML escape: the value ends in a newline
        ("INSUFFICIENT", Verdict.INSUFFICIENT),
    ],
)
def test_verdict_case_and_whitespace_are_normalised(raw: str, expected: Verdict):
    reading = read_judge_reply(
        f'verdict = "{raw}"\nconfidence = 0.5\nevidence_used = []\nreasoning = "r"'
    )
    assert reading.value is not None
    assert reading.value.verdict is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(85, 0.85), (100, 1.0), (1, 1.0), (0, 0.0), (0.35, 0.35), ("85%", 0.85), ("0.7", 0.7)],
)
def test_confidence_given_as_a_percentage_becomes_a_fraction(raw: object, expected: float):
    fields = normalise_judge_fields({"confidence": raw})
    assert fields["confidence"] == pytest.approx(expected)


@pytest.mark.parametrize("raw", [150, -0.1, "very"])
def test_confidence_outside_any_reading_stays_invalid(raw: object):
    reading = read_judge_reply(
        '{"verdict": "SUPPORTED", "confidence": %s, "evidence_used": [], "reasoning": "r"}'
        % (f'"{raw}"' if isinstance(raw, str) else raw)
    )
    assert reading.value is None
    assert reading.error is not None
    assert "confidence" in reading.error


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CL01-E1, CL01-E2", ["CL01-E1", "CL01-E2"]),
        ("CL01-E1", ["CL01-E1"]),
        ("", []),
        (["CL01-E1 ", 7], ["CL01-E1", "7"]),
    ],
)
def test_evidence_used_as_a_string_becomes_a_list(raw: object, expected: list[str]):
    assert normalise_judge_fields({"evidence_used": raw})["evidence_used"] == expected


def test_a_decision_wrapped_in_one_table_is_unwrapped():
    reading = read_judge_reply(f"[decision]\n{VALID_TOML}")
    assert reading.value is not None
    assert reading.value.verdict is Verdict.REFUTED


def test_capitalised_keys_are_accepted():
    fields = normalise_judge_fields({"Verdict": "supported", "REASONING": "r"})
    assert fields == {"verdict": "SUPPORTED", "reasoning": "r"}


def test_a_missing_field_is_named_in_the_error():
    reading = read_judge_reply('verdict = "SUPPORTED"\nconfidence = 0.9\nevidence_used = []')
    assert reading.value is None
    assert reading.error is not None
    assert "reasoning" in reading.error
    assert reading.data == {"verdict": "SUPPORTED", "confidence": 0.9, "evidence_used": []}


def test_an_unknown_verdict_is_rejected():
    reading = read_judge_reply(
        'verdict = "MAYBE"\nconfidence = 0.5\nevidence_used = []\nreasoning = "r"'
    )
    assert reading.value is None
    assert reading.error is not None
    assert "verdict" in reading.error


def test_confidence_bounds_zero_and_one_are_valid_and_empty_evidence_too():
    for confidence in (0, 1):
        reading = read_judge_reply(
            f'verdict = "INSUFFICIENT"\nconfidence = {confidence}\nevidence_used = []\n'
            'reasoning = "The pack does not settle it."'
        )
        assert reading.value is not None
        assert reading.value.confidence == confidence
        assert reading.value.evidence_used == []


@pytest.mark.parametrize(
    ("text", "error"),
    [("", "the reply was empty"), ("I agree with the Orthodox.", "neither TOML nor JSON")],
)
def test_unreadable_replies_say_why(text: str, error: str):
    reading = read_judge_reply(text)
    assert reading.value is None
    assert reading.data is None
    assert reading.error is not None
    assert error in reading.error
