"""Structure-aware chunking with overlap; pure (no IO, no framework).

A page's text is cut into *segments* (headings, paragraphs, and sentences of long paragraphs),
each with its character offsets in the page. Segments are packed greedily into chunks of at most
``size`` characters; a heading always opens a new chunk (a chunk never straddles two sections),
and each chunk after the first of a section starts with whole segments of the previous one, at
least ``overlap`` characters of them when they exist, so a fact cut at a chunk boundary is whole
in one of the two. Chunks never cross pages, so every chunk has one page number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+\S")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    number: int  # 1-based; 1 for formats without pages
    text: str


@dataclass(frozen=True)
class Segment:
    start: int
    end: int
    heading: bool


@dataclass(frozen=True)
class Chunk:
    ordinal: int  # position in the document, from 0
    page: int
    start: int  # character offsets in the page's text
    end: int
    text: str
    section: str | None  # the heading the chunk sits under, if any

    @property
    def token_count(self) -> int:
        return len(_WORD.findall(self.text))


def is_heading(block: str) -> bool:
    """A Markdown heading, or a short single line without final punctuation (a title)."""
    line = block.strip()
    if _MARKDOWN_HEADING.match(line):
        return True
    return "\n" not in line and 0 < len(line) <= 80 and line[-1] not in ".!?;:,"


def segments(text: str, size: int) -> list[Segment]:
    """Headings, paragraphs, and, for paragraphs longer than ``size``, their sentences (and
    hard cuts of sentences longer than ``size``), as offset ranges of ``text``."""
    result: list[Segment] = []
    position = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        block = text[position:end]
        stripped = block.strip()
        if stripped:
            start = position + block.index(stripped[0])
            stop = start + len(stripped)
            if is_heading(stripped) and len(stripped) <= size:
                result.append(Segment(start, stop, heading=True))
            else:
                result.extend(_split_long(text, start, stop, size))
        position = match.end() if match else len(text)
    return result


def _split_long(text: str, start: int, stop: int, size: int) -> list[Segment]:
    if stop - start <= size:
        return [Segment(start, stop, heading=False)]
    pieces: list[Segment] = []
    cursor = start
    for match in [*_SENTENCE_END.finditer(text, start, stop), None]:
        end = match.start() if match else stop
        while end - cursor > size:  # a "sentence" longer than a chunk: cut at a space if any
            cut = text.rfind(" ", cursor + 1, cursor + size)
            cut = cut if cut > cursor else cursor + size
            pieces.append(Segment(cursor, cut, heading=False))
            cursor = cut + (1 if text[cut : cut + 1] == " " else 0)
        if end > cursor:
            pieces.append(Segment(cursor, end, heading=False))
        cursor = match.end() if match else stop
    return pieces


def chunk_pages(pages: list[Page], *, size: int, overlap: int) -> list[Chunk]:
    """The chunks of a document's pages, numbered in order."""
    if size < 50:
        raise ValueError("chunk size must be at least 50 characters")
    if not 0 <= overlap < size:
        raise ValueError("chunk overlap must be at least 0 and smaller than the chunk size")
    chunks: list[Chunk] = []
    for page in pages:
        for first, last, section in _pack(segments(page.text, size), page.text, size, overlap):
            start, end = first.start, last.end
            chunks.append(
                Chunk(
                    ordinal=len(chunks),
                    page=page.number,
                    start=start,
                    end=end,
                    text=page.text[start:end],
                    section=section,
                )
            )
    return chunks


def _pack(
    items: list[Segment], text: str, size: int, overlap: int
) -> list[tuple[Segment, Segment, str | None]]:
    """Greedy packing; returns (first segment, last segment, section) per chunk."""
    packed: list[tuple[Segment, Segment, str | None]] = []
    section: str | None = None
    current: list[Segment] = []

    def emit(*, last: bool = False) -> None:
        # Headings wait for the text under them; only a page ending in headings keeps them alone.
        if current and (last or not all(segment.heading for segment in current)):
            packed.append((current[0], current[-1], section))

    for segment in items:
        if segment.heading:
            emit()
            if current and all(s.heading for s in current):
                current.append(segment)  # consecutive headings stay together
            else:
                current = [segment]
            section = text[segment.start : segment.end].lstrip("#").strip()
            continue
        if current and segment.end - current[0].start > size:
            emit()
            current = _overlap_tail(current, segment, size, overlap)
        current.append(segment)
    emit(last=True)
    return packed


def _overlap_tail(
    previous: list[Segment], following: Segment, size: int, overlap: int
) -> list[Segment]:
    """The whole trailing segments of ``previous`` that give at least ``overlap`` characters
    (fewer when they would not fit with ``following``); headings are kept as context."""
    if overlap == 0:
        return []
    tail: list[Segment] = []
    for segment in reversed(previous):
        if following.end - segment.start > size:
            break
        tail.insert(0, segment)
        if previous[-1].end - segment.start >= overlap:
            break
    return tail
