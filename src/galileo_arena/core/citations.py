"""What the judge cited, measured against the case's evidence packets."""

from __future__ import annotations

from collections.abc import Collection, Iterable


def missing_eids(cited: Iterable[str], valid_eids: Collection[str]) -> tuple[str, ...]:
    """Cited evidence IDs the case does not have, sorted and distinct (a hallucinated citation)."""
    return tuple(sorted({eid for eid in cited if eid not in valid_eids}))


def valid_share(cited: Iterable[str], valid_eids: Collection[str]) -> float:
    """The share of distinct cited IDs that exist in the case; 0.0 when nothing is cited.

    Distinct, so that citing one packet three times does not outweigh one bad citation.
    """
    distinct = set(cited)
    if not distinct:
        return 0.0
    return sum(1 for eid in distinct if eid in valid_eids) / len(distinct)
