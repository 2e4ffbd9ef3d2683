"""Split a judge's reasoning into sentences, the hypotheses checked against cited evidence.

Each sentence is checked on its own because an NLI model asked whether a whole paragraph follows
from one evidence summary says "no" as soon as any other sentence goes beyond that summary.
"""

from __future__ import annotations

import re

# A sentence ends at ., ! or ? (optionally followed by closing quotes or brackets) when whitespace
# and then an upper-case letter, a digit, a quote or a bracket follow; or at a line break.
_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[A-Z0-9])|\s*\n+\s*")
# Abbreviations whose full stop does not end a sentence ("e.g. The", "Dr. Smith").
_ABBREVIATIONS = frozenset(
    {"e.g.", "i.e.", "vs.", "cf.", "al.", "dr.", "mr.", "mrs.", "ms.", "prof.", "fig.", "approx."}
)
# Bullet and numbering marks at the start of a line are not part of the claim.
_BULLET = re.compile(r"^(?:[-*\u2022]|\d+[.)])\s+")
#: Past this many sentences the rest are not checked: pairs cost NLI runs, and a judge's
#: reasoning is a few sentences long (the cap bounds the cost of a pathological one).
MAX_SENTENCES = 24


def split_sentences(text: str, *, limit: int = MAX_SENTENCES) -> list[str]:
    """The non-empty sentences of ``text`` in order, at most ``limit`` of them."""
    sentences: list[str] = []
    pending = ""
    for piece in _BOUNDARY.split(text.strip()):
        piece = _BULLET.sub("", piece.strip())
        if not piece:
            continue
        pending = f"{pending} {piece}" if pending else piece
        last_word = pending.rsplit(maxsplit=1)[-1].lower()
        if last_word in _ABBREVIATIONS:
            continue
        sentences.append(pending)
        pending = ""
        if len(sentences) == limit:
            return sentences
    if pending:
        sentences.append(pending)
    return sentences[:limit]
