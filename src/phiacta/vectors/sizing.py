"""How the IVFFlat index is sized and probed (pure arithmetic, also used by migration 0005).

A probe compares the query with every centroid, then with every entry of the lists it opens.
With ``sqrt(n)`` lists of ``sqrt(n)`` entries each, one list costs as much as the centroids:
the near-duplicate check opens one list per claim (``DUPLICATE_PROBES``), a search opens a
sixteenth of them (``search_probes``), at least eight while there are that many. Below
``CLUSTER_FROM`` vectors there is one list: an exact scan, cheaper than learning centroids
from a handful of rows.
"""

from __future__ import annotations

import math

CLUSTER_FROM = 1_000
"""Fewer vectors than this are held in one list (searched exactly)."""
MAX_LISTS = 4_000
COUNT_BELOW = 10_000
"""Below this many vectors the keeper counts them rather than trusting the statistics, which
trail commits by a second or more: early on that is several bundles, each checking its claims
for near-duplicates against one ever longer list."""
REBUILD_FACTOR = 2
"""The lists are re-learned when the number of vectors has doubled (or halved) since they were
sized. Between rebuilds the lists fill up by this factor, and the near-duplicate check, which
reads a whole list per claim, costs as much more: at 100 000 claims a factor of four meant
lists of up to 580 vectors and 300 ms bundles; rebuilding twice as often costs a few seconds of
background work over the same 100 000 claims."""
RELEARN_SHARE = 4
"""After re-embedding, the lists are re-learned when one vector in this many was replaced."""
DUPLICATE_PROBES = 1
"""Lists opened per claim by the near-duplicate check: a claim this similar (cosine > 0.92)
sits next to the query, nearly always in the query's own list."""
SEARCH_FRACTION = 16
"""A search opens one list in this many (and at least ``SEARCH_MIN_PROBES``)."""
SEARCH_MIN_PROBES = 8


def target_lists(vectors: int) -> int:
    """The number of lists an index over ``vectors`` vectors should have."""
    if vectors < CLUSTER_FROM:
        return 1
    return min(MAX_LISTS, round(math.sqrt(vectors)))


def needs_rebuild(lists: int, vectors: int) -> bool:
    """Whether an index of ``lists`` lists (sized for about ``lists**2`` vectors) is far enough
    from right for ``vectors`` vectors to be worth re-learning."""
    target = target_lists(vectors)
    return target**2 >= lists**2 * REBUILD_FACTOR or target**2 * REBUILD_FACTOR <= lists**2


def relearn_after_rewrite(changed: int, vectors: int) -> bool:
    """Whether replacing ``changed`` of ``vectors`` vectors (re-embedding) moved them enough
    for the lists to be re-learned: a quarter or more of them."""
    return changed > 0 and changed * RELEARN_SHARE >= vectors


def search_probes(lists: int) -> int:
    """Lists a search opens first (an iterative scan opens more when filters drop rows)."""
    return min(lists, max(SEARCH_MIN_PROBES, math.ceil(lists / SEARCH_FRACTION)))
