"""When the keeper re-learns the IVFFlat lists, and how many lists a search opens."""

from __future__ import annotations

from phiacta.vectors.sizing import (
    CLUSTER_FROM,
    MAX_LISTS,
    needs_rebuild,
    relearn_after_rewrite,
    search_probes,
    target_lists,
)


def test_lists_are_the_square_root_of_the_vectors_from_the_clustering_threshold() -> None:
    assert target_lists(0) == target_lists(CLUSTER_FROM - 1) == 1
    assert target_lists(CLUSTER_FROM) == 32
    assert target_lists(100_000) == 316
    assert target_lists(10**9) == MAX_LISTS


def test_a_rebuild_comes_when_the_vectors_have_doubled_or_halved() -> None:
    lists = target_lists(10_000)  # 100 lists
    assert not needs_rebuild(lists, 10_000)
    assert not needs_rebuild(lists, 19_000)
    assert needs_rebuild(lists, 20_500)
    assert not needs_rebuild(lists, 5_500)
    assert needs_rebuild(lists, 4_900)
    # A one-list index is re-learned as soon as there are enough vectors to cluster.
    assert not needs_rebuild(1, CLUSTER_FROM - 1)
    assert needs_rebuild(1, CLUSTER_FROM)
    # ... and falls back to one list when nearly all of them are gone.
    assert needs_rebuild(32, 10)


def test_the_lists_are_relearned_after_a_quarter_of_the_vectors_changed() -> None:
    assert not relearn_after_rewrite(0, 0)
    assert not relearn_after_rewrite(249, 1_000)
    assert relearn_after_rewrite(250, 1_000)


def test_searches_open_a_sixteenth_of_the_lists_and_at_least_eight() -> None:
    assert search_probes(1) == 1
    assert search_probes(20) == 8
    assert search_probes(320) == 20
