"""The streamed split of answer and reasoning matches the split of the complete reply, however
the stream cuts the reply into deltas."""

from __future__ import annotations

import pytest

from oyl.answers.grounding import split_reasoning
from oyl.answers.streamed import ReasoningSplitter

REPLIES = [
    "Within 30 days [1].",
    "  <think>Block 1 says so.</think>\n\nWithin 30 days [1].  ",
    "Within <THINK>hmm</Think> 30 days [1].",
    "<think>cut off by the token limit, never closed",
    "a < b and <thi is not a tag",
    "<think>one</think>A<think>two</think> B",
]


def pieces_of(reply: str, size: int) -> list[str]:
    return [reply[i : i + size] for i in range(0, len(reply), size)]


@pytest.mark.parametrize("reply", REPLIES)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 1000])
def test_streamed_split_matches_the_split_of_the_whole(reply: str, size: int) -> None:
    splitter = ReasoningSplitter()
    out = [piece for delta in pieces_of(reply, size) for piece in splitter.feed(delta)]
    out += splitter.flush()

    answer, reasoning = split_reasoning(reply)
    assert "".join(text for kind, text in out if kind == "token") == answer
    streamed_reasoning = "".join(text for kind, text in out if kind == "reasoning")
    assert "think>" not in streamed_reasoning.lower()  # tags reach neither side
    thoughts = reasoning.split("\n\n") if reasoning else []
    assert all(thought in streamed_reasoning for thought in thoughts)
    assert bool(streamed_reasoning.strip()) == bool(reasoning)
