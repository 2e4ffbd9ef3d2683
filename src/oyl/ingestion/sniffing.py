"""What a file really is, from its first bytes (the client's Content-Type is not trusted).

Binary formats are recognised by their signatures (``filetype``); text is anything that decodes
as UTF-8 without control bytes, refined into HTML (by its markup), CSV or Markdown (by the file
name, since plain text cannot say). Anything else is unsupported: 415.
"""

from __future__ import annotations

from enum import StrEnum

import filetype

SNIFF_BYTES = 8192


class Kind(StrEnum):
    pdf = "application/pdf"
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    html = "text/html"
    markdown = "text/markdown"
    csv = "text/csv"
    text = "text/plain"
    png = "image/png"
    jpeg = "image/jpeg"
    gif = "image/gif"
    bmp = "image/bmp"
    tiff = "image/tiff"
    webp = "image/webp"

    @property
    def is_image(self) -> bool:
        return self.value.startswith("image/")


_BINARY = {kind.value: kind for kind in Kind if not kind.value.startswith("text/")}
_HTML_MARKERS = ("<!doctype html", "<html", "<head", "<body")
_CONTROL = {*range(0, 9), 11, 12, *range(14, 32)}


def sniff(head: bytes, filename: str) -> Kind | None:
    """The kind of a file from its first ``SNIFF_BYTES`` bytes and its name; None: unsupported."""
    guess = filetype.guess(head)
    if guess is not None:
        return _BINARY.get(guess.mime)
    text = _as_text(head)
    if text is None:
        return None
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if lowered.startswith(_HTML_MARKERS):
        return Kind.html
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in {"md", "markdown"}:
        return Kind.markdown
    if extension == "csv":
        return Kind.csv
    if extension in {"html", "htm"} and "<" in text:
        return Kind.html
    return Kind.text


def _as_text(head: bytes) -> str | None:
    if not head:
        return None
    # The sniffed prefix may end inside a multi-byte character: ignore an incomplete tail.
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return None
        text = head[: exc.start].decode("utf-8")
    if any(ord(char) in _CONTROL for char in text):
        return None
    return text
