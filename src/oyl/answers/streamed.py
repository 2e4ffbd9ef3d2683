"""A streamed reply split into answer text and reasoning as it arrives; pure.

The same split as :func:`oyl.answers.grounding.split_reasoning`, done on deltas: ``<think>``
blocks are reasoning (an unclosed one runs to the end), everything else is the answer, stripped
as the whole answer is. A tag cut in two by the stream is held back until it can be recognised,
so no piece of ``<think>`` ever reaches the answer text. Reasoning pieces are passed on as they
are (the whole reasoning is taken from the complete reply anyway).
"""

from __future__ import annotations

from typing import Literal

from servicekit.llm import StrippedDeltas

Kind = Literal["token", "reasoning"]

_OPEN, _CLOSE = "<think>", "</think>"


class ReasoningSplitter:
    """Feed it a reply's deltas; it returns ``(kind, text)`` pieces ready to be sent."""

    def __init__(self) -> None:
        self._thinking = False
        self._pending = ""
        self._answer = StrippedDeltas()

    def feed(self, delta: str) -> list[tuple[Kind, str]]:
        text, self._pending = self._pending + delta, ""
        pieces: list[tuple[Kind, str]] = []
        while text:
            tag = _CLOSE if self._thinking else _OPEN
            at = text.lower().find(tag)
            if at >= 0:
                self._emit(pieces, text[:at])
                self._thinking = not self._thinking
                text = text[at + len(tag) :]
                continue
            held = _partial_tag_length(text, tag)
            self._emit(pieces, text[: len(text) - held])
            self._pending = text[len(text) - held :]
            break
        return pieces

    def flush(self) -> list[tuple[Kind, str]]:
        """What was held back when the reply ends (a ``<thi`` that never became a tag)."""
        pieces: list[tuple[Kind, str]] = []
        self._emit(pieces, self._pending)
        self._pending = ""
        return pieces

    def _emit(self, pieces: list[tuple[Kind, str]], text: str) -> None:
        if self._thinking:
            if text:
                pieces.append(("reasoning", text))
        elif answer := self._answer.feed(text):
            pieces.append(("token", answer))


def _partial_tag_length(text: str, tag: str) -> int:
    """How many trailing characters of ``text`` could be the start of ``tag``."""
    lowered = text.lower()
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(lowered[-size:]):
            return size
    return 0
