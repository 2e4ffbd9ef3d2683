"""Grounded prompts and what comes back from them: numbered context, ``[n]`` citations,
reasoning traces; pure.

The model sees the assistant's instruction as its system prompt, then numbered context blocks,
and is asked to cite them as ``[n]``. Only numbers that match a block given are kept as
citations, so a model inventing ``[9]`` never points a client at nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from servicekit.llm import Message

NOT_FOUND = "I could not find this in the knowledge base."

DEFAULT_INSTRUCTION = "You are a helpful assistant that answers from the documents you are given."

_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_THINK = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL | re.IGNORECASE)


class Mode(StrEnum):
    fast = "fast"
    reasoning = "reasoning"


@dataclass(frozen=True)
class ContextBlock:
    number: int
    document_name: str
    page: int | None
    text: str


_RULES = {
    Mode.fast: (
        "Answer the question using only the numbered context below. Cite every statement with "
        "the number of its source in square brackets, like [1] or [1, 3]. Be concise. If the "
        f'context does not contain the answer, reply exactly: "{NOT_FOUND}"'
    ),
    Mode.reasoning: (
        "Answer the question using only the numbered context below. First reason step by step "
        "inside <think></think> tags: which blocks are relevant and what they say. Then write "
        "the answer after the closing tag, citing every statement with the number of its "
        "source in square brackets, like [1] or [1, 3]. If the context does not contain the "
        f'answer, reply exactly: "{NOT_FOUND}"'
    ),
}


def render_context(blocks: list[ContextBlock]) -> str:
    parts = []
    for block in blocks:
        where = f", page {block.page}" if block.page is not None else ""
        parts.append(f"[{block.number}] ({block.document_name}{where})\n{block.text.strip()}")
    return "\n\n".join(parts)


def build_messages(
    *,
    instruction: str | None,
    blocks: list[ContextBlock],
    question: str,
    mode: Mode,
    history: list[Message] = (),  # type: ignore[assignment]
) -> list[Message]:
    """System prompt (the instruction), earlier turns, then the question with its context."""
    system = (instruction or DEFAULT_INSTRUCTION).strip()
    user = f"{_RULES[mode]}\n\nContext:\n{render_context(blocks)}\n\nQuestion: {question.strip()}"
    return [
        Message(role="system", content=system),
        *history,
        Message(role="user", content=user),
    ]


def split_reasoning(text: str) -> tuple[str, str | None]:
    """(answer, reasoning): ``<think>`` blocks removed from the answer and returned apart.

    An unclosed ``<think>`` (a reply cut by its token limit) is all reasoning.
    """
    thoughts = [match.group(1).strip() for match in _THINK.finditer(text)]
    answer = _THINK.sub("", text).strip()
    reasoning = "\n\n".join(thought for thought in thoughts if thought) or None
    return answer, reasoning


def cited_numbers(answer: str, available: int) -> list[int]:
    """The block numbers ``answer`` cites, in order of first citation, within 1..available."""
    seen: list[int] = []
    for match in _CITATION.finditer(answer):
        for part in match.group(1).split(","):
            number = int(part)
            if 1 <= number <= available and number not in seen:
                seen.append(number)
    return seen


def says_not_found(answer: str) -> bool:
    return NOT_FOUND.rstrip(".").lower() in answer.lower()


def snippet(text: str, limit: int = 280) -> str:
    """The start of a chunk, cut at a word, for a citation."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > 0 else limit] + "…"


def shift_citations(answer: str, offset: int) -> str:
    """Renumber ``[n]`` to ``[n + offset]``: several assistants' answers merged into one keep
    distinct numbers for distinct sources."""
    if offset == 0:
        return answer

    def renumber(match: re.Match[str]) -> str:
        numbers = [str(int(part) + offset) for part in match.group(1).split(",")]
        return "[" + ", ".join(numbers) + "]"

    return _CITATION.sub(renumber, answer)
