"""Pure helpers: splitting reasoning into hypotheses, grouping pairs into padded batches."""

from __future__ import annotations

import pytest

from galileo_arena.ml.batching import length_batches
from galileo_arena.ml.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Rising CO2 causes warming. However, data is limited! Would a survey verify it? Yes.",
            [
                "Rising CO2 causes warming.",
                "However, data is limited!",
                "Would a survey verify it?",
                "Yes.",
            ],
        ),
        # Decimals, abbreviations and lower-case continuations do not end a sentence.
        (
            "Temperature rose 1.1 degrees, e.g. Since 1900 it rose. Dr. Smith agrees.",
            ["Temperature rose 1.1 degrees, e.g. Since 1900 it rose.", "Dr. Smith agrees."],
        ),
        ("see fig. 3 for the trend. it rose.", ["see fig. 3 for the trend. it rose."]),
        # A closing quote stays with its sentence.
        ('He said "it rose." Then it fell.', ['He said "it rose."', "Then it fell."]),
        # Lines and bullet marks.
        ("- first point\n- second point\n\n1. third", ["first point", "second point", "third"]),
        ("no final stop", ["no final stop"]),
        ("", []),
        ("  \n ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_split_sentences_caps_the_count() -> None:
    text = " ".join(f"Sentence {i} is here." for i in range(40))
    sentences = split_sentences(text, limit=5)
    assert sentences == [f"Sentence {i} is here." for i in range(5)]


def test_every_index_is_batched_once_shortest_first() -> None:
    lengths = [30, 5, 31, 6, 200, 30, 5]
    batches = length_batches(lengths)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths)


def test_batches_keep_padding_within_the_share() -> None:
    lengths = [10, 11, 12, 13, 20, 21, 40, 100, 101, 102]
    for batch in length_batches(lengths, max_padding_share=0.15):
        real = sum(lengths[i] for i in batch)
        assert max(lengths[i] for i in batch) * len(batch) - real <= 0.15 * real


def test_equal_lengths_fill_batches_up_to_the_maximum() -> None:
    assert length_batches([7] * 5, max_batch=2) == [[0, 1], [2, 3], [4]]


def test_a_long_input_is_never_padded_with_short_ones() -> None:
    # Deference and refusal pairs carry the whole reasoning; grounding pairs are short.
    assert length_batches([20, 21, 20, 300]) == [[0, 2, 1], [3]]


def test_no_lengths_no_batches() -> None:
    assert length_batches([]) == []
    with pytest.raises(ValueError, match="max_batch"):
        length_batches([1], max_batch=0)
