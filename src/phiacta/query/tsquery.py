"""Full-text query parts (pure): every word but the last as typed, the last as a prefix.

So "vaccine effic" finds "vaccine efficacy" while a user is still typing (newest upstream's
rule). Only letters and digits reach ``to_tsquery``, so no input can break its syntax.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def split_query(query: str) -> tuple[str, str | None]:
    """(the words for ``plainto_tsquery``, the last word as a ``to_tsquery`` prefix or None)."""
    words = _WORD.findall(query)
    if not words:
        return query, None
    return " ".join(words[:-1]), f"{words[-1].lower()}:*"
