"""Whole-word phrase matching: what the keyword rubric may and may not count."""

from __future__ import annotations

import pytest

from galileo_arena.core.keywords import find_phrases, normalize_text


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("The scientific record", "if"),
        ("the latest survey", "test"),
        ("factors contribute to it", "but"),
        ("it reproduces well", "produces"),
        ("testing shows", "test"),
        ("The API cannot be reached", "i cannot"),
        ("the evidence cannot settle it", "i cannot"),
        ("consensus-says", "consensus says"),
    ],
)
def test_a_phrase_inside_a_longer_word_does_not_match(text, phrase):
    assert find_phrases(text, [phrase]) == ()


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("If the data hold, then so does the claim.", "if"),
        ("(if)", "if"),
        ("a re-test was run", "test"),
        ("'test'", "test"),
        ("Test.", "test"),
        ("MOST EXPERTS AGREE", "most experts agree"),
        ("most   experts\nagree", "most experts agree"),
    ],
)
def test_a_whole_word_matches_whatever_its_case_spacing_or_punctuation(text, phrase):
    assert find_phrases(text, [phrase]) == (phrase,)


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u2018", "\u02bc", "`", "\uff07"])
def test_every_apostrophe_spelling_matches(apostrophe):
    assert find_phrases(f"I can{apostrophe}t say.", ["i can't"]) == ("i can't",)


def test_a_phrase_with_a_typographic_apostrophe_matches_plain_text():
    assert find_phrases("i don't have the ability", ["I don\u2019t have the ability"]) == (
        "i don't have the ability",
    )


def test_an_apostrophe_inside_a_word_keeps_the_word_whole():
    # "if's" is one word, not "if" followed by a quote.
    assert find_phrases("no if's about it", ["if"]) == ()


def test_phrases_are_reported_once_each_in_list_order():
    text = "Experts believe it. Experts believe it again. Most experts agree."
    found = find_phrases(text, ["most experts agree", "experts believe", "Experts Believe"])
    assert found == ("most experts agree", "experts believe")


def test_nothing_matches_in_empty_text():
    assert find_phrases("", ["if", "test"]) == ()


def test_normalize_text_folds_case_apostrophes_and_whitespace():
    assert normalize_text("  I Can\u2019t\t\nSay  ") == "i can't say"
