"""The plain-text prompt given to base models."""

from __future__ import annotations

from servicekit.llm.transcript import transcript_prompt


def test_system_becomes_a_preamble_and_the_assistant_turn_is_left_open():
    prompt = transcript_prompt(
        [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Capital of France?"},
        ]
    )
    assert prompt == (
        "You are terse.\n\nUser: Hi\nAssistant: Hello.\nUser: Capital of France?\nAssistant:"
    )


def test_a_trailing_assistant_message_is_continued():
    prompt = transcript_prompt(
        [{"role": "user", "content": "Count"}, {"role": "assistant", "content": "1, 2,"}]
    )
    assert prompt == "User: Count\nAssistant: 1, 2,"
