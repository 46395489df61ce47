"""Readable text from PDFs: wrapped lines re-flowed, broken words joined, ligatures and
doubled letters spelled out, on small PDFs generated here."""

from __future__ import annotations

from pathlib import Path

import pytest
import reportlab
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from assistant.ingestion.steps import parse_limits
from assistant.settings import IngestSettings
from ingest.chunking import chunk_document
from ingest.parsers import parse_file
from ingest.parsers.pdf import _character
from ingest.types import BlockKind, ParsedDocument

LIMITS = parse_limits(IngestSettings())
LEFT = 72


def write_lines(path: Path, lines: list[str], *, font: str = "Helvetica", size: float = 10) -> Path:
    """A one-page PDF with ``lines`` set one under the other; an empty string is a blank line."""
    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.setFont(font, size)
    for index, text in enumerate(lines):
        pdf.drawString(LEFT, 700 - 1.3 * size * index, text)
    pdf.save()
    return path


def paragraphs(document: ParsedDocument) -> list[str]:
    page = document.pages[0]
    return [
        page.text[block.start : block.end]
        for block in page.blocks
        if block.kind is BlockKind.PARAGRAPH
    ]


def test_wrapped_lines_of_a_paragraph_become_one_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "wrapped.pdf",
        [
            "The supplier shall deliver the goods to the buyer within thirty days of the order",
            "and bear every cost of carriage, insurance and customs duty until delivery.",
        ],
    )

    (text,) = paragraphs(parse_file(path, limits=LIMITS))

    assert text == (
        "The supplier shall deliver the goods to the buyer within thirty days of the order "
        "and bear every cost of carriage, insurance and customs duty until delivery."
    )


def test_lines_the_author_ended_and_list_items_keep_their_breaks(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "list.pdf",
        [
            "The buyer may end this agreement by written notice to the supplier on any of",
            "the following events, and in no other case whatsoever, namely",
            "(a) a late delivery of the goods by the supplier",
            "(b) the insolvency of the supplier or of its guarantor",
            "Signed for the buyer",
            "Ann Lee, Director",
        ],
    )

    (text,) = paragraphs(parse_file(path, limits=LIMITS))

    assert text.split("\n") == [
        "The buyer may end this agreement by written notice to the supplier on any of "
        "the following events, and in no other case whatsoever, namely",
        "(a) a late delivery of the goods by the supplier",
        "(b) the insolvency of the supplier or of its guarantor",
        "Signed for the buyer",
        "Ann Lee, Director",
    ]


def test_a_word_broken_across_lines_is_joined_and_a_compound_keeps_its_hyphen(
    tmp_path: Path,
) -> None:
    path = write_lines(
        tmp_path / "hyphens.pdf",
        [
            "Any change in interest rates could materially affect the results of the group and",
            "it could materi-",
            "ally affect the long-term and forward-looking statements made in this report.",
            "",
            "Management reviews forward-looking statements and other long-term targets every",
            "year and revises its forward-",
            "looking statements when the underlying long-term assumptions change in a year.",
        ],
    )
    document = parse_file(path, limits=LIMITS)

    first, second = paragraphs(document)

    assert "it could materially affect the long-term and forward-looking statements" in first
    assert "revises its forward-looking statements" in second
    assert "materi-" not in document.pages[0].text


def test_an_unknown_word_keeps_its_line_end_hyphen(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "unknown.pdf",
        [
            "The parties agree that every deliverable shall be made available through the self-",
            "service portal of the supplier, whose terms apply to each of the deliverables.",
        ],
    )

    (text,) = paragraphs(parse_file(path, limits=LIMITS))

    assert "through the self-service portal" in text


def test_reflowed_chunks_are_exact_spans_of_their_page(tmp_path: Path) -> None:
    lines = [
        f"Clause {index} obliges the supplier to keep records of every delivery made under it"
        for index in range(12)
    ]
    path = write_lines(tmp_path / "chunks.pdf", lines)
    document = parse_file(path, limits=LIMITS)

    drafts = chunk_document(
        document, max_tokens=40, overlap_tokens=5, count_tokens=lambda text: len(text.split())
    )

    page = document.pages[0]
    assert "\n" not in page.text
    assert len(drafts) > 1
    for draft in drafts:
        assert draft.page == 1
        assert page.text[draft.char_start : draft.char_end] == draft.text


def test_ligature_glyphs_read_as_their_letters(tmp_path: Path) -> None:
    fonts = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont("VeraTest", str(fonts / "Vera.ttf")))
    path = write_lines(
        tmp_path / "ligatures.pdf", ["The \ufb01rst \ufb02oor and its pro\ufb01t"], font="VeraTest"
    )

    (text,) = paragraphs(parse_file(path, limits=LIMITS))

    assert text == "The first floor and its profit"


@pytest.mark.parametrize(
    ("code", "letters"),
    [
        (0xFB00, "ff"),
        (0xFB01, "fi"),
        (0xFB02, "fl"),
        (0xFB03, "ffi"),
        (0xFB04, "ffl"),
        (0xFB05, "st"),
        (0xFB06, "st"),
        (0x02, "-"),
        (ord("e"), "e"),
    ],
)
def test_character_spells_ligatures_and_line_end_hyphens(code: int, letters: str) -> None:
    assert _character(code, 0) == letters


def test_a_doubled_letter_drawn_one_glyph_at_a_time_is_not_lost(tmp_path: Path) -> None:
    """Printed from a browser: one text object per glyph, on a page scaled below full size,
    with overhanging italic glyphs whose boxes overlap."""
    path = tmp_path / "doubled.pdf"
    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.scale(0.75, 0.75)
    for row, sentence in enumerate(["Risks that could affect the office staff", "Bold text"]):
        x = 96.0
        for char in sentence:
            pdf.setFont("Times-Italic", 13)
            pdf.drawString(x, 900 - 30 * row, char)
            if row == 1:
                pdf.drawString(x + 0.3, 900 - 30 * row, char)
            x += pdfmetrics.stringWidth(char, "Times-Italic", 13)
    pdf.save()

    text = parse_file(path, limits=LIMITS).pages[0].text

    assert "Risks that could affect the office staff" in text
    assert "Bold text" in text
