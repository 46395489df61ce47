"""The source viewer: a PDF passage highlighted on its page image (a table's region and cited
cell apart), paging through the document, a passage of a document without pages shown in the
text around it (escaped), and a page without an image said to be unavailable."""

from __future__ import annotations

import io

from PIL import Image
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from assistant.passages import ChunkView
from assistant.reading.table_reader import CitedCell
from assistant.service import PageImage
from ingest.tables import read_table
from tests.unit.ui.app_driver import Site, button, dialog, signed_in
from ui.source_view import highlighted_page, page_heading, passage_in_context

WHITE = (255, 255, 255)


def blank_png(size: tuple[int, int] = (200, 100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, WHITE).save(out, format="PNG")
    return out.getvalue()


def pixel(png: bytes, x: int, y: int) -> tuple[int, ...]:
    value = Image.open(io.BytesIO(png)).convert("RGB").getpixel((x, y))
    assert isinstance(value, tuple)
    return value


def chunk(
    chunk_id: int,
    text: str,
    *,
    start: int = 0,
    end: int | None = None,
    page: int | None = None,
    is_table: bool = False,
    boxes: tuple[object, ...] = (),
) -> ChunkView:
    return ChunkView(
        chunk_id=chunk_id,
        text=text,
        document_id=1,
        file_name="notes.md",
        collection="hr",
        page=page,
        char_start=start,
        char_end=start + len(text) if end is None else end,
        heading_path="",
        is_table=is_table,
        boxes=boxes,  # type: ignore[arg-type]
    )


def box(text: str, x0: float, top: float, x1: float, bottom: float) -> object:
    """A box as a passage carries it (``ingest.types.Box``), built without importing ingest."""
    return type("Box", (), {"text": text, "x0": x0, "top": top, "x1": x1, "bottom": bottom})()


def test_a_passage_is_highlighted_on_its_page_and_the_rest_is_left_alone() -> None:
    line = chunk(1, "Members meet monthly.", page=1, boxes=(box("Members", 0.1, 0.1, 0.5, 0.2),))
    marked = highlighted_page(blank_png(), line)
    assert pixel(marked, 60, 15) != WHITE
    assert pixel(marked, 150, 80) == WHITE


def test_a_table_shows_its_region_and_the_cited_cell_apart() -> None:
    text = "| Region | 2022 |\n|---|---|\n| North | 1,200 |\n| South | 900 |"
    cells = (
        box("Region", 0.1, 0.1, 0.3, 0.2),
        box("2022", 0.6, 0.1, 0.8, 0.2),
        box("North", 0.1, 0.4, 0.3, 0.5),
        box("1,200", 0.6, 0.4, 0.8, 0.5),
        box("South", 0.1, 0.7, 0.3, 0.8),
        box("900", 0.6, 0.7, 0.8, 0.8),
    )
    table = chunk(2, text, page=1, is_table=True, boxes=cells)
    parsed = read_table(text)
    assert parsed is not None
    [south] = [cell for cell in parsed.cells() if cell.text == "900"]
    marked = highlighted_page(blank_png(), table, [CitedCell(1, south)])
    region, cell, outside = pixel(marked, 90, 30), pixel(marked, 140, 75), pixel(marked, 190, 95)
    assert outside == WHITE
    assert region != WHITE
    assert cell != region
    assert cell[2] < region[2], "the cited cell is marked more strongly than the region"


def test_a_passage_without_pages_is_shown_in_the_text_around_it() -> None:
    chunks = [
        chunk(1, "First part of the notes.", start=0),
        chunk(2, "of the notes. Second part", start=11),  # overlaps the first by 13 characters
        chunk(3, "Third part after a gap.", start=60),
        chunk(4, "Fourth part.", start=85),
    ]
    text, span = passage_in_context(chunks, 2, around=1)
    assert text == "First part of the notes. Second part\n\n…\n\nThird part after a gap."
    assert text[span[0] : span[1]] == "of the notes. Second part"
    text, span = passage_in_context(chunks, 4, around=1)
    assert text == "Third part after a gap.\n\nFourth part."
    assert text[span[0] : span[1]] == "Fourth part."


def test_the_page_heading_names_the_printed_page_where_it_differs() -> None:
    labelled = PageImage(1, "a.pdf", "hr", 49, 120, "46", b"")
    assert page_heading(labelled) == "Page 46 (PDF page 49 of 120)"
    assert page_heading(PageImage(1, "a.pdf", "hr", 2, 3, None, b"")) == "Page 2 of 3"


def markdown_text(block: Block) -> str:
    return "\n".join(m.value for m in block.markdown)


def ask_about_bonus(at: AppTest) -> None:
    at.text_input(key="ask_question").input("When are bonus payments made?")
    button(at, "Ask").click().run()
    assert not at.exception, at.exception


def test_a_cited_pdf_passage_opens_on_its_page_and_the_view_is_audited(pdf_site: Site) -> None:
    """Paging inside the open viewer reruns the dialog alone, which the test app cannot do;
    the browser journey (tests/browser) turns a page."""
    at = signed_in("alice")
    ask_about_bonus(at)
    button(at, "Show on the page").click().run()
    assert not at.exception, at.exception
    viewer = dialog(at)
    assert "**policy\\.pdf** · hr · page 2" in markdown_text(viewer)
    assert [caption.value for caption in viewer.caption] == ["Page 2 of 2"]
    assert len(viewer.get("image")) == 1
    assert [n.value for n in viewer.number_input] == [2]
    assert pdf_site.audit(action="view_page") == [("alice", "view_page")]


def test_a_passage_without_pages_opens_in_its_text_escaped(pdf_site: Site) -> None:
    at = signed_in("alice")
    ask_about_bonus(at)
    button(at, "Show in the document").click().run()
    assert not at.exception, at.exception
    shown = markdown_text(dialog(at))
    assert "**salaries\\.md** · hr · section &#x27;Pay&#x27;" in shown
    assert "<mark>Salary bands and bonus policy\\.</mark>" in shown
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert pdf_site.audit(action="open_document") == [("alice", "open_document")]


def test_a_page_without_an_image_says_so_and_shows_the_passage(pdf_site: Site) -> None:
    pages = pdf_site.assistant.settings.pages_dir
    for original in pages.glob("*/original.pdf"):
        original.write_bytes(b"%PDF-1.4 damaged")
    at = signed_in("alice")
    ask_about_bonus(at)
    button(at, "Show on the page").click().run()
    assert not at.exception, at.exception
    viewer = dialog(at)
    assert [info.value for info in viewer.info] == [
        "The image of page 2 is unavailable; the passage&#x27;s text is shown instead\\."
    ]
    assert len(viewer.get("image")) == 0
    assert "Bonus payments are made every March" in markdown_text(viewer)
