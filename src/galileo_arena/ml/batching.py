"""Group token sequences into padded batches that cost little more than running them one by one.

A padded position costs as much as a real token, so batching only pays while padding stays small:
sequences are sorted by length and a batch closes once padding it would exceed a fixed share of
its real tokens, or once it holds ``max_batch`` sequences.
"""

from __future__ import annotations

from collections.abc import Sequence

# Measured on the 2-core machine with a 6-layer BERT (the kit's MiniLM), 2 intra-op threads, pairs
# of ~45 tokens: one batch of 8 equal-length pairs ran ~25% faster than 8 single runs, ~20% with
# 12% padding, no faster with 24%, and 35% slower with 86% (one thread: no gain at all). Hence
# batches of similar lengths only, and short inputs never padded up to a long reasoning.
MAX_PADDING_SHARE = 0.15
MAX_BATCH = 16


def length_batches(
    lengths: Sequence[int],
    *,
    max_batch: int = MAX_BATCH,
    max_padding_share: float = MAX_PADDING_SHARE,
) -> list[list[int]]:
    """Indices of ``lengths`` grouped into batches, shortest first; every index appears once.

    A batch padded to its longest member wastes ``longest * size - sum(lengths)`` positions; it
    accepts the next (longer or equal) sequence only while that waste stays within
    ``max_padding_share`` of its real tokens.
    """
    if max_batch < 1:
        raise ValueError("max_batch must be at least 1")
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    real_tokens = 0
    for index in order:
        length = lengths[index]
        if current:
            grown_real = real_tokens + length
            padded = length * (len(current) + 1)
            if len(current) >= max_batch or padded - grown_real > max_padding_share * grown_real:
                batches.append(current)
                current, real_tokens = [], 0
        current.append(index)
        real_tokens += length
    if current:
        batches.append(current)
    return batches
