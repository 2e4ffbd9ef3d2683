"""Whole-word phrase matching for the keyword rubric.

Upstream matched lowercase substrings, so "if" fired inside "scientific", "test" inside "latest"
and "but" inside "contribute". Here a phrase only matches as a sequence of whole words:
case-insensitive, with typographic apostrophes folded to ``'`` (so "I can\u2019t" matches "i can't")
and any run of whitespace equal to one space (so a phrase may wrap across a line).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Every character a model (or a word processor) writes for an apostrophe; NFKC does not fold them.
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2018\u2019\u201b\u02bc\u02b9\u2032\u00b4`", "'"))
_WHITESPACE_RUN = re.compile(r"\s+")

# A phrase may not start or end inside a word. An apostrophe followed or preceded by a letter is
# part of the word ("can't"), while a quoting apostrophe ('test') is not.
_WORD_START = r"(?<!\w)(?<!\w')"
_WORD_END = r"(?!\w)(?!'\w)"


def normalize_text(text: str) -> str:
    """The form texts and phrases are compared in: NFKC, casefolded, one apostrophe, one space."""
    folded = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    return _WHITESPACE_RUN.sub(" ", folded).strip()


@lru_cache(maxsize=1024)
def _phrase_pattern(normalized_phrase: str) -> re.Pattern[str]:
    return re.compile(_WORD_START + re.escape(normalized_phrase) + _WORD_END)


def find_phrases(text: str, phrases: Iterable[str]) -> tuple[str, ...]:
    """The distinct ``phrases`` found in ``text`` as whole words, in the order they are listed.

    Phrases are returned in their normalised form; a phrase listed twice is reported once, so a
    count of the result is a count of distinct phrases, never of occurrences.
    """
    haystack = normalize_text(text)
    found: list[str] = []
    for phrase in phrases:
        needle = normalize_text(phrase)
        if needle and needle not in found and _phrase_pattern(needle).search(haystack):
            found.append(needle)
    return tuple(found)
