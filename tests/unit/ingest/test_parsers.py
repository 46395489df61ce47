"""End-to-end behaviour of ``parse_file`` on small files of every format, generated here."""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from reportlab.platypus import Table, TableStyle

from assistant.ingestion.steps import parse_limits
from assistant.settings import IngestSettings
from ingest.detect import CSV, PDF
from ingest.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    FileTooLargeError,
    ParseTimeoutError,
    UnsafeArchiveError,
    UnsupportedFormatError,
)
from ingest.limits import ParseLimits
from ingest.parsers import parse_file
from ingest.types import Block, BlockKind, Page, ParsedDocument

LIMITS = parse_limits(IngestSettings())
LEFT_LINES = [f"left{i:02d} words of the first column continue here" for i in range(12)]
RIGHT_LINES = [f"right{i:02d} words of the second column go on" for i in range(12)]


def block_text(page: Page, block: Block) -> str:
    return page.text[block.start : block.end]


def assert_consistent(document: ParsedDocument) -> None:
    """Blocks slice their page exactly, in order, without overlap; tables carry a header."""
    for page in document.pages:
        position = 0
        for block in page.blocks:
            assert position <= block.start < block.end <= len(page.text)
            text = block_text(page, block)
            assert text == text.strip()
            position = block.end
            if block.kind is BlockKind.TABLE:
                assert block.header_end is not None
                assert block.start < block.header_end <= block.end
                header = page.text[block.start : block.header_end].split("\n")
                assert len(header) == 2
                assert header[0].startswith("|")
                assert set(header[1]) <= {"|", "-", ":", " "}
            else:
                assert block.header_end is None


def blocks_of(document: ParsedDocument, kind: BlockKind) -> list[str]:
    return [
        block_text(page, block)
        for page in document.pages
        for block in page.blocks
        if block.kind is kind
    ]


# PDF -----------------------------------------------------------------------------------------


def write_report_pdf(path: Path) -> Path:
    """Page 1: a large bold title, a paragraph and a ruled table; page 2: two text columns."""
    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.setTitle("Quarterly Report")
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(72, 720, "Quarterly Report")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 690, "Revenue grew in every region during the quarter, driven by strong")
    pdf.drawString(72, 677, "demand for the core product line and stable pricing across markets.")
    table = Table(
        [
            ["Region", "2022", "2021"],
            ["North", "1,200", "1,100"],
            ["South", "900", "850"],
            ["Total", "2,100", "1,950"],
        ],
        colWidths=[150, 80, 80],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    _, height = table.wrapOn(pdf, 400, 400)
    table.drawOn(pdf, 72, 560 - height)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 450, "The table above lists revenue by region in thousands of dollars.")
    pdf.showPage()
    pdf.setFont("Helvetica", 10)
    for index, (left, right) in enumerate(zip(LEFT_LINES, RIGHT_LINES, strict=True)):
        pdf.drawString(72, 700 - 13 * index, left)
        pdf.drawString(320, 700 - 13 * index, right)
    pdf.showPage()
    pdf.save()
    return path


@pytest.fixture
def report_pdf(tmp_path: Path) -> Path:
    return write_report_pdf(tmp_path / "report.pdf")


def test_pdf_pages_are_numbered_from_one_with_consistent_blocks(report_pdf: Path) -> None:
    document = parse_file(report_pdf, limits=LIMITS)

    assert [page.number for page in document.pages] == [1, 2]
    assert document.title == "Quarterly Report"
    assert_consistent(document)


def test_pdf_reports_each_page_as_it_is_read(report_pdf: Path) -> None:
    read: list[tuple[int, int]] = []
    parse_file(report_pdf, limits=LIMITS, on_page=lambda done, total: read.append((done, total)))

    assert read == [(1, 2), (2, 2)]


def test_formats_read_in_one_go_report_their_pages_once(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("first paragraph\n\nsecond paragraph", encoding="utf-8")
    read: list[tuple[int, int]] = []
    parse_file(notes, limits=LIMITS, on_page=lambda done, total: read.append((done, total)))

    assert read == [(1, 1)]


def test_pdf_table_is_rendered_as_markdown_rows(report_pdf: Path) -> None:
    page = parse_file(report_pdf, limits=LIMITS).pages[0]

    tables = [block for block in page.blocks if block.kind is BlockKind.TABLE]
    assert len(tables) == 1
    table = tables[0]
    assert block_text(page, table) == (
        "| Region | 2022 | 2021 |\n"
        "|---|---|---|\n"
        "| North | 1,200 | 1,100 |\n"
        "| South | 900 | 850 |\n"
        "| Total | 2,100 | 1,950 |"
    )
    assert page.text[table.start : table.header_end].endswith("|---|---|---|")


def test_pdf_large_title_is_a_top_level_heading_and_text_keeps_reading_order(
    report_pdf: Path,
) -> None:
    page = parse_file(report_pdf, limits=LIMITS).pages[0]

    kinds = [block.kind for block in page.blocks]
    assert kinds == [BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.TABLE, BlockKind.PARAGRAPH]
    heading = page.blocks[0]
    assert block_text(page, heading) == "Quarterly Report"
    assert heading.level == 1
    assert block_text(page, page.blocks[1]) == (
        "Revenue grew in every region during the quarter, driven by strong "
        "demand for the core product line and stable pricing across markets."
    )


def test_pdf_two_columns_are_read_left_column_first(report_pdf: Path) -> None:
    text = parse_file(report_pdf, limits=LIMITS).pages[1].text

    left_positions = [text.index(line) for line in LEFT_LINES]
    right_positions = [text.index(line) for line in RIGHT_LINES]
    assert left_positions == sorted(left_positions)
    assert right_positions == sorted(right_positions)
    assert max(left_positions) < min(right_positions)


def test_password_protected_pdf_is_refused(report_pdf: Path, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(report_pdf))
    writer.encrypt(user_password="secret", owner_password="owner")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as stream:
        writer.write(stream)

    with pytest.raises(EncryptedFileError, match="password"):
        parse_file(locked, limits=LIMITS)


def test_pdf_with_only_an_owner_password_is_read(report_pdf: Path, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(report_pdf))
    writer.encrypt(user_password="", owner_password="owner")
    restricted = tmp_path / "restricted.pdf"
    with restricted.open("wb") as stream:
        writer.write(stream)

    document = parse_file(restricted, limits=LIMITS)

    assert "Quarterly Report" in document.pages[0].text


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_truncated_pdf_is_corrupt(report_pdf: Path, tmp_path: Path, keep: float) -> None:
    data = report_pdf.read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data[: int(len(data) * keep)])

    with pytest.raises(CorruptFileError, match=r"broken\.pdf"):
        parse_file(broken, limits=LIMITS)


def test_pdf_without_text_needs_ocr(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.rect(100, 100, 200, 200, fill=1)
    pdf.showPage()
    pdf.save()

    with pytest.raises(EmptyDocumentError, match="OCR"):
        parse_file(path, limits=LIMITS)


def test_pdf_over_the_page_limit_is_refused(report_pdf: Path) -> None:
    limits = ParseLimits(
        max_file_bytes=LIMITS.max_file_bytes,
        max_pages=1,
        max_chars=LIMITS.max_chars,
        max_unzipped_bytes=LIMITS.max_unzipped_bytes,
        max_zip_ratio=LIMITS.max_zip_ratio,
    )

    with pytest.raises(FileTooLargeError, match="2 pages"):
        parse_file(report_pdf, limits=limits)


def test_text_over_the_character_limit_is_refused(report_pdf: Path) -> None:
    limits = ParseLimits(
        max_file_bytes=LIMITS.max_file_bytes,
        max_pages=LIMITS.max_pages,
        max_chars=50,
        max_unzipped_bytes=LIMITS.max_unzipped_bytes,
        max_zip_ratio=LIMITS.max_zip_ratio,
    )

    with pytest.raises(FileTooLargeError, match="characters"):
        parse_file(report_pdf, limits=limits)


def test_every_parser_gives_up_past_the_time_limit(report_pdf: Path, tmp_path: Path) -> None:
    expired = replace(LIMITS, max_seconds=1e-9)
    word = tmp_path / "memo.docx"
    document = docx.Document()
    document.add_paragraph("Payment is due in thirty days.")
    document.save(str(word))
    files = {
        "pdf": report_pdf,
        "docx": word,
        "html": tmp_path / "page.html",
        "txt": tmp_path / "notes.txt",
        "csv": tmp_path / "rows.csv",
    }
    files["html"].write_text("<html><body><p>Payment is due.</p></body></html>")
    files["txt"].write_text("Payment is due.\n\nIn thirty days.")
    files["csv"].write_text("item,amount\nfee,30\n")
    for kind, path in files.items():
        with pytest.raises(ParseTimeoutError, match="PARSE_TIMEOUT_S"):
            parse_file(path, limits=expired)
        assert parse_file(path, limits=LIMITS).pages, kind


# DOCX ----------------------------------------------------------------------------------------


def test_docx_headings_paragraphs_and_tables_keep_document_order(tmp_path: Path) -> None:
    path = tmp_path / "memo.docx"
    document = docx.Document()
    document.add_heading("Supply Agreement", level=0)
    document.add_heading("Definitions", level=1)
    document.add_paragraph("The   Supplier delivers\tgoods monthly.")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows,
        [["Item", "Price", "Unit"], ["Steel", "120", "t"], ["Copper", "8|0", "kg"]],
        strict=True,
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_heading("Term", level=2)
    document.add_paragraph("The agreement runs for two years.")
    document.save(str(path))

    parsed = parse_file(path, limits=LIMITS)

    assert_consistent(parsed)
    page = parsed.pages[0]
    assert page.number is None
    assert parsed.title == "Supply Agreement"
    summary = [(b.kind, b.level, block_text(page, b)) for b in page.blocks]
    assert summary == [
        (BlockKind.HEADING, 1, "Supply Agreement"),
        (BlockKind.HEADING, 1, "Definitions"),
        (BlockKind.PARAGRAPH, 0, "The Supplier delivers goods monthly."),
        (
            BlockKind.TABLE,
            0,
            "| Item | Price | Unit |\n|---|---|---|\n| Steel | 120 | t |\n| Copper | 8\\|0 | kg |",
        ),
        (BlockKind.HEADING, 2, "Term"),
        (BlockKind.PARAGRAPH, 0, "The agreement runs for two years."),
    ]


def test_docx_zip_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("word/media/padding.bin", bytes(4 * 1024 * 1024))

    with pytest.raises(UnsafeArchiveError, match="expands"):
        parse_file(path, limits=LIMITS)

    tight = ParseLimits(
        max_file_bytes=LIMITS.max_file_bytes,
        max_pages=LIMITS.max_pages,
        max_chars=LIMITS.max_chars,
        max_unzipped_bytes=1024 * 1024,
        max_zip_ratio=10_000,
    )
    with pytest.raises(UnsafeArchiveError, match="expand to"):
        parse_file(path, limits=tight)


def test_zip_that_is_not_a_docx_is_corrupt_when_declared_as_one(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<not-word/>")

    with pytest.raises(CorruptFileError, match=r"fake\.docx"):
        parse_file(path, limits=LIMITS)


# HTML ----------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>Clinic Guide</title><style>p { color: red }</style>
<script>var tracking = "SCRIPT-TEXT";</script></head>
<body>
<header><a href="/">SITE-HEADER</a></header>
<nav><ul><li>NAV-HOME</li><li>NAV-ABOUT</li></ul></nav>
<div class="cookie-banner">COOKIE-NOTICE accept all</div>
<main>
  <h1>Dosage   guidance</h1>
  <p>Take one tablet<br>twice a day.</p>
  <div style="display: none">HIDDEN-TEXT</div>
  <h2>Side effects</h2>
  <ul><li>Headache</li><li>Nausea <b>rarely</b></li></ul>
  <table><tr><th>Age</th><th>Dose</th></tr><tr><td>Adult</td><td>10 mg</td></tr></table>
  <aside>ASIDE-TEXT</aside>
</main>
<footer>FOOTER-TEXT</footer>
<form><input value="FORM-TEXT"><button>SUBSCRIBE-BUTTON</button></form>
</body></html>
"""


def test_html_drops_boilerplate_and_keeps_content_in_order(tmp_path: Path) -> None:
    path = tmp_path / "guide.html"
    path.write_text(PAGE, encoding="utf-8")

    parsed = parse_file(path, limits=LIMITS)

    assert_consistent(parsed)
    page = parsed.pages[0]
    assert parsed.title == "Clinic Guide"
    for noise in ("SCRIPT", "SITE-HEADER", "NAV-", "COOKIE", "HIDDEN", "ASIDE", "FOOTER", "FORM"):
        assert noise not in page.text
    summary = [(b.kind, b.level, block_text(page, b)) for b in page.blocks]
    assert summary == [
        (BlockKind.HEADING, 1, "Dosage guidance"),
        (BlockKind.PARAGRAPH, 0, "Take one tablet\ntwice a day."),
        (BlockKind.HEADING, 2, "Side effects"),
        (BlockKind.PARAGRAPH, 0, "- Headache"),
        (BlockKind.PARAGRAPH, 0, "- Nausea rarely"),
        (BlockKind.TABLE, 0, "| Age | Dose |\n|---|---|\n| Adult | 10 mg |"),
    ]


def test_malformed_html_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "broken.html"
    path.write_text(
        "<div><p>Unclosed <b>bold <table><tr><td>x<td>y<tr><td>1<td>2</div></span>"
        + "<div>" * 3000
        + "deeply nested"
        + "</p>" * 10,
        encoding="utf-8",
    )

    parsed = parse_file(path, limits=LIMITS)

    assert_consistent(parsed)
    assert "Unclosed bold" in parsed.pages[0].text


def test_html_whose_wrapper_looks_like_chrome_keeps_its_content(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.html"
    path.write_text(
        '<html><body><form id="aspnetForm"><div class="page has-sidebar">'
        "<p>The whole article lives inside a form.</p></div></form></body></html>",
        encoding="utf-8",
    )

    text = parse_file(path, limits=LIMITS).pages[0].text

    assert text == "The whole article lives inside a form."


# Markdown ------------------------------------------------------------------------------------

MARKDOWN = """# Release notes

Version two brings
faster search.

## Numbers

| Metric | Value |
|--------|------:|
| Recall | 0.91 |
| Latency | 40 ms |

- first item
- second item
"""


def test_markdown_keeps_source_text_with_blocks_pointing_into_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_bytes(MARKDOWN.replace("\n", "\r\n").encode("utf-8"))

    parsed = parse_file(path, limits=LIMITS)

    assert_consistent(parsed)
    page = parsed.pages[0]
    assert page.text == MARKDOWN
    assert parsed.title == "Release notes"
    summary = [(b.kind, b.level, block_text(page, b)) for b in page.blocks]
    assert summary == [
        (BlockKind.HEADING, 1, "Release notes"),
        (BlockKind.PARAGRAPH, 0, "Version two brings\nfaster search."),
        (BlockKind.HEADING, 2, "Numbers"),
        (
            BlockKind.TABLE,
            0,
            "| Metric | Value |\n|--------|------:|\n| Recall | 0.91 |\n| Latency | 40 ms |",
        ),
        (BlockKind.PARAGRAPH, 0, "- first item"),
        (BlockKind.PARAGRAPH, 0, "- second item"),
    ]
    table = page.blocks[3]
    assert page.text[table.start : table.header_end] == "| Metric | Value |\n|--------|------:|"


# Plain text and CSV --------------------------------------------------------------------------

ACCENTED = "Café au lait — crème brûlée\r\nsecond line\r\n\r\n\r\nNaïve façade: “quoted” €5"


@pytest.mark.parametrize(
    "encoded",
    [ACCENTED.encode("utf-16"), ACCENTED.encode("cp1252"), ACCENTED.encode("utf-8-sig")],
    ids=["utf-16-with-bom", "cp1252", "utf-8-with-bom"],
)
def test_text_encodings_are_detected_and_paragraphs_split(tmp_path: Path, encoded: bytes) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes(encoded)

    parsed = parse_file(path, limits=LIMITS)

    assert_consistent(parsed)
    page = parsed.pages[0]
    assert page.text == ("Café au lait — crème brûlée\nsecond line\n\nNaïve façade: “quoted” €5")
    assert [b.kind for b in page.blocks] == [BlockKind.PARAGRAPH, BlockKind.PARAGRAPH]


def test_text_spaces_are_collapsed(tmp_path: Path) -> None:
    path = tmp_path / "spaced.txt"
    path.write_text("a  lot\t of   space   \n\n\n  next", encoding="utf-8")

    page = parse_file(path, limits=LIMITS).pages[0]

    assert page.text == "a lot of space\n\nnext"


def test_text_without_blank_lines_has_a_paragraph_per_line(tmp_path: Path) -> None:
    path = tmp_path / "clauses.txt"
    path.write_text("1. Parties agree.\n2. Term is two years.\n3. Law of Delaware.\n", "utf-8")

    page = parse_file(path, limits=LIMITS).pages[0]

    assert [block_text(page, b) for b in page.blocks] == [
        "1. Parties agree.",
        "2. Term is two years.",
        "3. Law of Delaware.",
    ]


def test_csv_with_semicolons_becomes_one_table(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(
        'name;city;amount\r\nJosé;Zürich;1.200,50\r\n"Smith; Jr";Köln;300\r\n'.encode("cp1252")
    )

    parsed = parse_file(path, limits=LIMITS)

    assert_consistent(parsed)
    page = parsed.pages[0]
    assert len(page.blocks) == 1
    table = page.blocks[0]
    assert table.kind is BlockKind.TABLE
    assert page.text == (
        "| name | city | amount |\n"
        "|---|---|---|\n"
        "| José | Zürich | 1.200,50 |\n"
        "| Smith; Jr | Köln | 300 |"
    )
    assert page.text[: table.header_end] == "| name | city | amount |\n|---|---|---|"


def test_large_csv_is_rendered_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    lines = ["id,value"] + [f"{i},{i * 3}" for i in range(20_000)]
    path.write_text("\n".join(lines), encoding="utf-8")

    page = parse_file(path, limits=LIMITS, media_type=CSV).pages[0]

    assert page.text.count("\n") == 20_001
    assert page.text.endswith("| 19999 | 59997 |")


# Refusals ------------------------------------------------------------------------------------


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")

    with pytest.raises(EmptyDocumentError, match=r"empty\.txt"):
        parse_file(path, limits=LIMITS)


def test_whitespace_only_file_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text("   \n\n\t\n", encoding="utf-8")

    with pytest.raises(EmptyDocumentError, match="no extractable text"):
        parse_file(path, limits=LIMITS)


def test_oversized_file_is_refused_before_parsing(report_pdf: Path) -> None:
    tiny = ParseLimits(
        max_file_bytes=100,
        max_pages=LIMITS.max_pages,
        max_chars=LIMITS.max_chars,
        max_unzipped_bytes=LIMITS.max_unzipped_bytes,
        max_zip_ratio=LIMITS.max_zip_ratio,
    )

    with pytest.raises(FileTooLargeError, match=r"report\.pdf"):
        parse_file(report_pdf, limits=tiny)


@pytest.mark.parametrize("name", ["noise.bin", "noise.txt", "noise"])
def test_random_binary_is_unsupported(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(os.urandom(4096))

    with pytest.raises(UnsupportedFormatError, match="binary"):
        parse_file(path, limits=LIMITS)


def test_binary_declared_as_text_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "noise.dat"
    path.write_bytes(bytes(range(256)) * 16)

    with pytest.raises(UnsupportedFormatError):
        parse_file(path, limits=LIMITS, media_type="text/plain; charset=utf-8")


def test_unknown_media_type_is_unsupported(report_pdf: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match="image/png"):
        parse_file(report_pdf, limits=LIMITS, media_type="image/png")


def test_library_failures_become_corrupt_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "notreally.pdf"
    path.write_bytes(b"%PDF-1.7\n" + io.BytesIO(os.urandom(2048)).getvalue())

    with pytest.raises(CorruptFileError, match=r"notreally\.pdf"):
        parse_file(path, limits=LIMITS, media_type=PDF)
