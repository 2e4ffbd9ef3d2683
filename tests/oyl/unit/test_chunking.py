"""Structure-aware chunking: sizes, overlap, headings, pages and offsets."""

from __future__ import annotations

import itertools

import pytest

from oyl.ingestion.chunking import Page, chunk_pages, is_heading, segments


def test_short_text_is_one_chunk_with_exact_offsets() -> None:
    text = "  A single paragraph about refunds.  "
    [chunk] = chunk_pages([Page(1, text)], size=200, overlap=20)
    assert chunk.text == "A single paragraph about refunds."
    assert text[chunk.start : chunk.end] == chunk.text
    assert (chunk.page, chunk.ordinal, chunk.section) == (1, 0, None)


def test_empty_pages_give_no_chunks() -> None:
    assert chunk_pages([Page(1, ""), Page(2, "  \n\n ")], size=200, overlap=20) == []


def test_headings_open_sections_and_stay_with_their_text() -> None:
    text = "# Travel\n\nBook early.\n\n# Expenses\n\nKeep receipts."
    chunks = chunk_pages([Page(1, text)], size=200, overlap=0)
    assert [c.section for c in chunks] == ["Travel", "Expenses"]
    assert chunks[0].text == "# Travel\n\nBook early."
    assert chunks[1].text == "# Expenses\n\nKeep receipts."


def test_long_text_is_cut_at_sentences_with_overlap() -> None:
    sentences = [f"Sentence number {n} says something useful." for n in range(30)]
    text = " ".join(sentences)
    chunks = chunk_pages([Page(1, text)], size=200, overlap=60)
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(chunk.text) <= 200
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.endswith(".")  # never cut inside a sentence
    for before, after in itertools.pairwise(chunks):
        shared = before.end - after.start
        assert shared >= 60 or after.start == before.end  # overlap where sentences allow it
        assert after.start > before.start  # always progressing
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert covered >= {i for i, ch in enumerate(text) if not ch.isspace()}


def test_a_sentence_longer_than_a_chunk_is_cut_at_spaces() -> None:
    text = " ".join(["word"] * 200)  # 999 characters, no sentence end
    chunks = chunk_pages([Page(1, text)], size=100, overlap=0)
    assert all(len(c.text) <= 100 for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == text.replace(" ", "")


def test_chunks_keep_their_page_and_never_cross_pages() -> None:
    pages = [Page(1, "Page one text."), Page(2, "Page two text."), Page(5, "Page five.")]
    chunks = chunk_pages(pages, size=500, overlap=50)
    assert [(c.page, c.text, c.ordinal) for c in chunks] == [
        (1, "Page one text.", 0),
        (2, "Page two text.", 1),
        (5, "Page five.", 2),
    ]


def test_a_page_of_only_a_title_is_kept() -> None:
    [chunk] = chunk_pages([Page(1, "Returns accepted within 30 days")], size=200, overlap=0)
    assert chunk.text == "Returns accepted within 30 days"


@pytest.mark.parametrize(
    ("block", "heading"),
    [
        ("# Title", True),
        ("### Deep title", True),
        ("Short title line", True),
        ("A sentence that ends.", False),
        ("Line one\nline two", False),
        ("x" * 90, False),
    ],
)
def test_heading_detection(block: str, heading: bool) -> None:
    assert is_heading(block) is heading


def test_segments_cover_paragraphs() -> None:
    text = "Title\n\nFirst paragraph.\n\n\nSecond paragraph."
    found = [(text[s.start : s.end], s.heading) for s in segments(text, 100)]
    assert found == [("Title", True), ("First paragraph.", False), ("Second paragraph.", False)]


@pytest.mark.parametrize(("size", "overlap"), [(10, 0), (100, 100), (100, -1)])
def test_invalid_sizes_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_pages([Page(1, "text")], size=size, overlap=overlap)
