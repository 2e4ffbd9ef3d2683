"""The "at least k words" full-text prefilter."""

from __future__ import annotations

from oyl.retrieval.repository import MAX_COMBINED_LEXEMES, shared_words_query


def test_combinations_of_lexemes() -> None:
    assert shared_words_query([], 2) is None
    assert shared_words_query(["boiler", "pressur"], 2) is None  # the OR query is as selective
    assert shared_words_query(["a", "b", "c"], 2) == "('a' & 'b') | ('a' & 'c') | ('b' & 'c')"
    assert shared_words_query(["a", "b", "c"], 3) is None
    assert shared_words_query(["a", "b", "c", "d"], 3) == (
        "('a' & 'b' & 'c') | ('a' & 'b' & 'd') | ('a' & 'c' & 'd') | ('b' & 'c' & 'd')"
    )


def test_lexemes_are_quoted_and_capped() -> None:
    assert shared_words_query(["o'neil", "x\\y", "z"], 2) == (
        "('o''neil' & 'x\\\\y') | ('o''neil' & 'z') | ('x\\\\y' & 'z')"
    )
    many = [f"w{n}" for n in range(30)]
    pairs = shared_words_query(many, 2)
    cap = MAX_COMBINED_LEXEMES[2]
    assert pairs is not None and pairs.count("&") == cap * (cap - 1) // 2
