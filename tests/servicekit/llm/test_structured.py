"""Parsing and validating a model's JSON reply."""

from __future__ import annotations

import pytest

from servicekit.llm import LLMResponseError
from servicekit.llm.structured import parse_reply

SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"enum": ["pass", "fail"]}, "notes": {"type": "array"}},
    "required": ["verdict"],
}


def test_plain_and_fenced_json_are_accepted():
    assert parse_reply('{"verdict": "pass"}', SCHEMA) == {"verdict": "pass"}
    assert parse_reply('```json\n{"verdict": "fail", "notes": []}\n```', SCHEMA) == {
        "verdict": "fail",
        "notes": [],
    }


def test_invalid_json_is_a_clear_error_keeping_the_text():
    with pytest.raises(LLMResponseError, match=r"did not return valid JSON .* line 1") as raised:
        parse_reply('{"verdict": pass}', SCHEMA)
    assert raised.value.text == '{"verdict": pass}'


def test_a_schema_mismatch_names_where_and_what():
    with pytest.raises(LLMResponseError, match=r"at verdict: 'maybe' is not one of"):
        parse_reply('{"verdict": "maybe"}', SCHEMA)
    with pytest.raises(LLMResponseError, match=r"at \(root\): 'verdict' is a required property"):
        parse_reply("{}", SCHEMA)
