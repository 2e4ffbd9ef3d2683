"""Prompts, citations and reasoning traces."""

from __future__ import annotations

from oyl.answers.grounding import (
    NOT_FOUND,
    ContextBlock,
    Mode,
    build_messages,
    cited_numbers,
    says_not_found,
    shift_citations,
    snippet,
    split_reasoning,
)


def test_messages_carry_instruction_history_and_numbered_context() -> None:
    blocks = [ContextBlock(1, "a.pdf", 3, "Alpha."), ContextBlock(2, "b.md", None, " Beta. ")]
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    messages = build_messages(
        instruction="Be brief.", blocks=blocks, question=" Why? ", mode=Mode.fast, history=history
    )
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert messages[1:3] == history
    user = messages[3]["content"]
    assert "[1] (a.pdf, page 3)\nAlpha.\n\n[2] (b.md)\nBeta." in user
    assert user.endswith("Question: Why?")
    assert NOT_FOUND in user and "<think>" not in user
    reasoning = build_messages(instruction=None, blocks=blocks, question="q", mode=Mode.reasoning)
    assert "<think>" in reasoning[-1]["content"] and reasoning[0]["content"]


def test_citations_are_kept_in_order_and_within_range() -> None:
    answer = "Yes [2]. Also [1, 3] and [2] again, but not [9] or [0]."
    assert cited_numbers(answer, 3) == [2, 1, 3]
    assert cited_numbers("no citations", 3) == []


def test_reasoning_is_split_from_the_answer() -> None:
    assert split_reasoning("<think>step 1</think>The answer [1].") == ("The answer [1].", "step 1")
    assert split_reasoning("Plain.") == ("Plain.", None)
    assert split_reasoning("<think>cut off") == ("", "cut off")


def test_not_found_detection_and_renumbering() -> None:
    assert says_not_found("Sorry. I could not find this in the knowledge base")
    assert not says_not_found("It is 30 days [1].")
    assert shift_citations("A [1] and [1, 2].", 3) == "A [4] and [4, 5]."
    assert shift_citations("A [1].", 0) == "A [1]."


def test_snippets_are_cut_at_words() -> None:
    assert snippet("short  text\n") == "short text"
    long = snippet("word " * 200, limit=23)
    assert long == "word word word word…"
