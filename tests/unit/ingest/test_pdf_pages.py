"""What a PDF's pages give the source viewer: printed page labels, word boxes on the page as it
is displayed, page images, and the boxes of a passage found from them."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.constants import PageLabelStyle
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from reportlab.platypus import Table, TableStyle

from assistant.ingestion.steps import parse_limits
from assistant.settings import IngestSettings
from ingest.chunking import chunk_document
from ingest.errors import CorruptFileError
from ingest.locate import place_chunks
from ingest.parsers.pdf import parse_pdf
from ingest.pdf_render import render_page, render_pages
from ingest.tokens import ApproximateCounter

LIMITS = parse_limits(IngestSettings())
WIDTH, HEIGHT = A4
FIRST = "Harbour lanterns are lit at dusk by the keeper on duty."


def write_pages(path: Path, count: int) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(1, count + 1):
        pdf.drawString(72, 780, FIRST)
        pdf.drawString(72, 760, f"This is the body of sheet {number} of the handbook.")
        pdf.showPage()
    pdf.save()
    return path


def test_printed_page_labels_are_kept_where_they_differ_from_the_page_number(
    tmp_path: Path,
) -> None:
    writer = PdfWriter(clone_from=str(write_pages(tmp_path / "plain.pdf", 4)))
    writer.set_page_label(0, 1, PageLabelStyle.LOWERCASE_ROMAN, start=1)
    writer.set_page_label(2, 3, PageLabelStyle.DECIMAL, start=46)
    labelled = tmp_path / "labelled.pdf"
    writer.write(str(labelled))
    assert [page.label for page in parse_pdf(labelled, LIMITS).pages] == ["i", "ii", "46", "47"]
    assert [page.label for page in parse_pdf(tmp_path / "plain.pdf", LIMITS).pages] == [None] * 4


def test_word_boxes_are_shares_of_the_page_as_displayed(tmp_path: Path) -> None:
    path = write_pages(tmp_path / "upright.pdf", 1)
    first = parse_pdf(path, LIMITS).pages[0].words[0]
    assert first.text == "Harbour"
    assert first.x0 == pytest.approx(72 / WIDTH, abs=0.005)
    assert first.bottom == pytest.approx(1 - 780 / HEIGHT, abs=0.01)
    assert 0 < first.top < first.bottom < 1

    document = pdfium.PdfDocument(str(path))
    document[0].set_rotation(90)
    turned = tmp_path / "turned.pdf"
    document.save(str(turned))
    document.close()
    words = {word.text: word for word in parse_pdf(turned, LIMITS).pages[0].words}
    # turned a quarter clockwise: the top of the sheet is on the right, read downwards
    harbour, lanterns = words["Harbour"], words["lanterns"]
    assert harbour.x0 > 0.9
    assert harbour.top == pytest.approx(72 / WIDTH, abs=0.005)
    assert lanterns.top > harbour.bottom - 0.001


def test_a_table_passage_is_found_with_its_cells_on_the_page(tmp_path: Path) -> None:
    path = tmp_path / "table.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawString(72, 780, "Revenue by region, in thousands of dollars, for two years.")
    table = Table(
        [
            ["Region", "2022", "2021"],
            ["North", "1,200", "900"],
            ["South", "900", "850"],
            ["Total", "2,100", "1,750"],
        ],
        colWidths=[150, 80, 80],
    )
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    _, height = table.wrapOn(pdf, 400, 400)
    table.drawOn(pdf, 72, 700 - height)
    pdf.showPage()
    pdf.save()
    parsed = parse_pdf(path, LIMITS)
    drafts = chunk_document(
        parsed, max_tokens=200, overlap_tokens=0, count_tokens=ApproximateCounter()
    )
    [passage] = [d for d in place_chunks(parsed, drafts) if d.is_table]
    cells = [box.text for box in passage.boxes]
    # the unit note above the table is part of the table's passage, then come the cells
    assert cells[0] == "Revenue by region, in thousands of dollars, for two years."
    assert cells[1:4] == ["Region", "2022", "2021"]
    assert "South" in cells
    assert all(box.top > 1 - 700 / HEIGHT - 0.01 for box in passage.boxes[1:])


def test_pages_are_drawn_as_images_of_a_fixed_width(tmp_path: Path) -> None:
    path = write_pages(tmp_path / "two.pdf", 2)
    images = [Image.open(io.BytesIO(png)) for _, png in render_pages(path, width_px=400)]
    assert [image.size[0] for image in images] == [400, 400]
    assert images[0].size[1] == round(400 * HEIGHT / WIDTH)
    assert Image.open(io.BytesIO(render_page(path, 2, width_px=300))).size[0] == 300


def test_a_page_that_cannot_be_drawn_says_why(tmp_path: Path) -> None:
    path = write_pages(tmp_path / "one.pdf", 1)
    with pytest.raises(CorruptFileError, match="has no page 2"):
        render_page(path, 2)
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.4\n" + b"\x00" * 64)
    with pytest.raises(CorruptFileError, match=r"damaged\.pdf could not be opened"):
        render_page(damaged, 1)
