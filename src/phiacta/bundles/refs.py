"""External references (DOIs, arXiv ids, URLs) in one comparable form (pure, [REC] §6.5).

The SQL in ``bundles.repository`` applies the same rule to stored ``sources.external_ref``.
"""

from __future__ import annotations

import re

# Lower-cased first, so the prefixes are matched in lower case.
PREFIX = re.compile(r"^(doi:|https?://(dx\.)?doi\.org/|arxiv:)")
SQL_PREFIX = r"^(doi:|https?://(dx\.)?doi\.org/|arxiv:)"


def normalize_ref(ref: str) -> str:
    return PREFIX.sub("", ref.strip().lower())
