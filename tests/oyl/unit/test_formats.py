"""Content sniffing and parsing of every supported format (OCR runs in the ingestion tests)."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from PIL import Image

from oyl.ingestion.parsing import OcrEngine, ParseError, parse
from oyl.ingestion.sniffing import Kind, sniff


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format=fmt)
    return buffer.getvalue()


def _docx() -> bytes:
    document = docx.Document()
    document.add_heading("Policies", level=1)
    document.add_paragraph("Laptops are returned on the last day.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "item", "owner"
    table.cell(1, 0).text, table.cell(1, 1).text = "badge", "security"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        (b"%PDF-1.7\n...", "a.bin", Kind.pdf),
        (_image("PNG"), "a.txt", Kind.png),
        (_image("JPEG"), "a.pdf", Kind.jpeg),
        (_image("GIF"), "x", Kind.gif),
        (_image("BMP"), "x", Kind.bmp),
        (_image("TIFF"), "x", Kind.tiff),
        (_image("WEBP"), "x", Kind.webp),
        (_docx(), "a.docx", Kind.docx),
        (b"<!DOCTYPE html><html><body>x</body></html>", "a.txt", Kind.html),
        (b"<p>fragment</p>", "page.html", Kind.html),
        (b"# Title\n\nText", "notes.md", Kind.markdown),
        (b"a,b\n1,2\n", "table.csv", Kind.csv),
        ("Grüße aus Köln".encode(), "a.txt", Kind.text),
        (b"plain words", "no-extension", Kind.text),
    ],
)
def test_sniffing_trusts_content(content: bytes, name: str, kind: Kind) -> None:
    assert sniff(content[:8192], name) is kind


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02binary", b"PK\x03\x04" + b"\x00" * 100, "é".encode("latin-1") * 50],
)
def test_unsupported_content_is_refused(content: bytes) -> None:
    assert sniff(content, "file.txt") is None


def test_a_multibyte_character_cut_by_the_sniff_window_is_still_text() -> None:
    content = ("a" * 8191 + "é").encode()
    assert sniff(content[:8192], "x.txt") is Kind.text


def test_docx_keeps_headings_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "d.docx"
    path.write_bytes(_docx())
    [page] = parse(path, Kind.docx, OcrEngine()).pages
    assert page.text.startswith("# Policies\n\nLaptops are returned on the last day.")
    assert "item: badge; owner: security." in page.text


def test_html_drops_scripts_and_keeps_headings(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    path.write_text(
        "<html><head><style>p{}</style></head><body><nav>Menu</nav><h1>Guide</h1>"
        "<p>First <b>bold</b> step.</p><script>alert(1)</script><ul><li>One</li><li>Two</li></ul>"
        "</body></html>"
    )
    [page] = parse(path, Kind.html, OcrEngine()).pages
    assert "# Guide" in page.text and "First bold step." in page.text
    assert "alert" not in page.text and "p{}" not in page.text
    assert "One\n\nTwo" in page.text


def test_csv_rows_become_sentences(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("city,population\nLyon,522000\nNice,\n")
    [page] = parse(path, Kind.csv, OcrEngine()).pages
    assert page.text == "city: Lyon; population: 522000.\n\ncity: Nice."


def test_pdf_pages_come_from_the_text_layer(tmp_path: Path, make_pdf) -> None:
    path = tmp_path / "t.pdf"
    path.write_bytes(make_pdf(["First page text here, long enough.", "Second page, also text."]))
    parsed = parse(path, Kind.pdf, OcrEngine())
    assert [page.number for page in parsed.pages] == [1, 2]
    assert "Second page, also text." in parsed.pages[1].text
    assert parsed.ocr_pages == 0


def test_damaged_files_raise_parse_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(b"PK\x03\x04 not really a docx")
    with pytest.raises(ParseError, match="could not read the docx file"):
        parse(path, Kind.docx, OcrEngine())
