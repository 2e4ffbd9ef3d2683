"""Text out of every supported format, page by page.

PDF pages keep their text layer (pypdf); a page with (almost) none is a scan, rendered with
pdfium and read by OCR. Images are read by OCR. DOCX headings become Markdown headings so the
chunker sees the document's structure; HTML is reduced to its visible text with headings kept
the same way; CSV rows become ``column: value`` lines under their header.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oyl.ingestion.chunking import Page
from oyl.ingestion.sniffing import Kind

# A page with fewer visible characters than this in its text layer is treated as a scan.
MIN_TEXT_LAYER_CHARS = 20
OCR_RENDER_SCALE = 2.0  # 144 dpi: small print stays legible to the recogniser
_HTML_HEADINGS = {f"h{level}": "#" * level for level in range(1, 7)}


class ParseError(ValueError):
    """The file is damaged or not what it claims to be; the document fails with this message."""


class OcrEngine:
    """RapidOCR (PP-OCR ONNX models shipped in its wheel), loaded on first use, one per process."""

    def __init__(self) -> None:
        self._engine: Any = None
        self._lock = threading.Lock()

    def read(self, image: Any) -> str:
        """The text lines of an image (a path, bytes, a PIL image or an array), top to bottom."""
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                self._engine = RapidOCR()
            if hasattr(image, "convert"):  # PIL: the engine takes arrays
                import numpy as np

                image = np.asarray(image.convert("RGB"))
            result, _ = self._engine(image)
        return "\n".join(line[1] for line in result or [])


@dataclass(frozen=True)
class ParsedDocument:
    pages: list[Page]
    ocr_pages: int  # pages whose text came from OCR


def parse(path: Path, kind: Kind, ocr: OcrEngine) -> ParsedDocument:
    try:
        if kind is Kind.pdf:
            return _pdf(path, ocr)
        if kind.is_image:
            return ParsedDocument([Page(1, ocr.read(str(path)))], ocr_pages=1)
        if kind is Kind.docx:
            return _single(_docx(path))
        text = path.read_bytes().decode("utf-8", errors="replace")
        if kind is Kind.html:
            return _single(_html(text))
        if kind is Kind.csv:
            return _single(_csv(text))
        return _single(text)
    except ParseError:
        raise
    except Exception as exc:  # every parser library has its own error types
        raise ParseError(f"could not read the {kind.name} file: {exc}") from exc


def _single(text: str) -> ParsedDocument:
    return ParsedDocument([Page(1, text)], ocr_pages=0)


def _pdf(path: Path, ocr: OcrEngine) -> ParsedDocument:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    if reader.is_encrypted:
        raise ParseError("the PDF is encrypted")
    pages: list[Page] = []
    scanned: list[int] = []
    for index, page in enumerate(reader.pages):
        text = page.extract_text() or ""
        if len("".join(text.split())) < MIN_TEXT_LAYER_CHARS:
            scanned.append(index)
        pages.append(Page(index + 1, text))
    if scanned:
        import pypdfium2

        document = pypdfium2.PdfDocument(str(path))
        try:
            for index in scanned:
                image = document[index].render(scale=OCR_RENDER_SCALE).to_pil()
                pages[index] = Page(index + 1, ocr.read(image))
        finally:
            document.close()
    return ParsedDocument(pages, ocr_pages=len(scanned))


def _docx(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    blocks: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.startswith("Heading"):
            level = style.removeprefix("Heading").strip()
            text = "#" * (int(level) if level.isdigit() else 1) + " " + text
        elif style == "Title":
            text = "# " + text
        blocks.append(text)
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        blocks.append(_rows_as_text(rows))
    return "\n\n".join(block for block in blocks if block)


def _html(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template", "head"]):
        hidden.decompose()
    for tag, marks in _HTML_HEADINGS.items():
        for heading in soup.find_all(tag):
            heading.string = f"\n\n{marks} {heading.get_text(' ', strip=True)}\n\n"
    for block in soup.find_all(["p", "li", "tr", "div", "br", "section", "article"]):
        block.append("\n\n")
    text = soup.get_text()
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:  # collapse runs of blank lines to one paragraph break
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def _csv(text: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    return _rows_as_text(rows)


def _rows_as_text(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    header, body = rows[0], rows[1:]
    if not body:
        return ", ".join(header)
    lines = []
    for row in body:
        pairs = [f"{name}: {value}" for name, value in zip(header, row, strict=False) if value]
        if pairs:
            lines.append("; ".join(pairs) + ".")
    return "\n\n".join(lines)
