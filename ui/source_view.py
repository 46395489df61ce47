"""The source viewer: a cited passage shown where it stands in its document.

A passage of a PDF is shown on the image of its page, its lines highlighted by their boxes
(a table's region, and the cell an answer read, marked apart); the reader can page through the
document from there. Documents without pages (Markdown, text, HTML, Word, CSV) show the passage
in the text around it, highlighted. Page images come from the user-scoped service, which checks
the user's right on the document and audits each page shown; where the page has no image the
viewer says so and shows the passage's text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import streamlit as st
from PIL import Image, ImageDraw

from assistant.passages import ChunkView
from assistant.reading.table_reader import CitedCell
from assistant.scoped import ScopedAssistant
from assistant.service import PageImage
from ui.feedback import USER_ERRORS, show_error
from ui.text import Span, escape_markdown, highlighted_markdown

PAGE_KEY = "source_page"
"""The PDF page the viewer shows (a number input's state)."""
CONTEXT_CHUNKS = 2
"""Passages shown before and after the cited one in a document without pages."""
_GAP_MARK = "…"
_LINE = (255, 200, 0, 100)
_REGION = (255, 200, 0, 45)
_REGION_EDGE = (225, 150, 0, 255)
_CELL = (255, 120, 0, 120)
_CELL_EDGE = (200, 70, 0, 255)
_PAD_PX = 2


def highlighted_page(png: bytes, chunk: ChunkView, cells: Iterable[CitedCell] = ()) -> bytes:
    """The page image ``png`` with ``chunk`` marked on it: each of its line boxes, or for a
    table its region and the ``cells`` an answer read from it."""
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    width, height = image.size

    def area(box: object, pad: int) -> tuple[float, float, float, float]:
        x0, top, x1, bottom = (getattr(box, name) for name in ("x0", "top", "x1", "bottom"))
        return (x0 * width - pad, top * height - pad, x1 * width + pad, bottom * height + pad)

    region = chunk.region if chunk.table is not None else None
    if region is not None:
        draw.rectangle(area(region, 3 * _PAD_PX), fill=_REGION, outline=_REGION_EDGE, width=2)
        for used in cells:
            box = chunk.cell_box(used.cell.row_label, used.cell.column_header, used.cell.text)
            if box is not None:
                draw.rectangle(area(box, _PAD_PX), fill=_CELL, outline=_CELL_EDGE, width=2)
    else:
        for box in chunk.boxes:
            draw.rectangle(area(box, _PAD_PX), fill=_LINE)
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def passage_in_context(
    chunks: Sequence[ChunkView], chunk_id: int, around: int = CONTEXT_CHUNKS
) -> tuple[str, Span]:
    """The text around passage ``chunk_id`` rebuilt from its neighbours in ``chunks`` (a
    document's passages in reading order), and the passage's span in it. Overlapping
    neighbours are joined where they overlap; text left out of every passage is marked "…"."""
    index = next(i for i, chunk in enumerate(chunks) if chunk.chunk_id == chunk_id)
    text = ""
    span: Span = (0, 0)
    end: int | None = None
    exact_before = False
    for chunk in chunks[max(0, index - around) : index + around + 1]:
        exact = len(chunk.text) == chunk.char_end - chunk.char_start
        if end is not None and exact and exact_before and chunk.char_start < end:
            overlap = min(end - chunk.char_start, len(chunk.text))
            start = len(text) - overlap
            text += chunk.text[overlap:]
        else:
            if end is not None:
                text += f"\n\n{_GAP_MARK}\n\n" if chunk.char_start > end + 2 else "\n\n"
            start = len(text)
            text += chunk.text
        if chunk.chunk_id == chunk_id:
            span = (start, start + len(chunk.text))
        end = chunk.char_end if end is None else max(end, chunk.char_end)
        exact_before = exact
    return text, span


def page_heading(page: PageImage) -> str:
    """Which page is shown: its printed number where it differs, and the PDF page."""
    if page.label:
        return f"Page {escape_markdown(page.label)} (PDF page {page.number} of {page.page_count})"
    return f"Page {page.number} of {page.page_count}"


def source_button(
    user: ScopedAssistant, chunk: ChunkView, cells: Sequence[CitedCell] = (), *, key: str
) -> None:
    """A button under a passage that opens the viewer on ``chunk``: on its page for a PDF
    ("Show on the page", the ``cells`` an answer read marked), else in its text ("Show in the
    document"). Every page that lists passages (Ask, Search) offers the same way to them."""
    opens = "Show on the page" if chunk.page is not None else "Show in the document"
    if not st.button(opens, key=key):
        return
    if chunk.page is not None:
        st.session_state[PAGE_KEY] = chunk.page
    _viewer(user, chunk, tuple(cells))


@st.dialog("Source", width="large")
def _viewer(user: ScopedAssistant, chunk: ChunkView, cells: tuple[CitedCell, ...]) -> None:
    st.markdown(
        f"**{escape_markdown(chunk.file_name)}** · {escape_markdown(chunk.collection)} · "
        f"{escape_markdown(chunk.location)}"
    )
    if chunk.page is None:
        show_context(user, chunk)
    else:
        show_page(user, chunk, cells)


def show_context(user: ScopedAssistant, chunk: ChunkView) -> None:
    """The passage highlighted in the text around it."""
    try:
        chunks = user.open_document(chunk.document_id)
    except USER_ERRORS as exc:
        show_error(exc)
        return
    if not any(c.chunk_id == chunk.chunk_id for c in chunks):
        st.info("This passage is no longer in the document; it was indexed again.")
        return
    text, span = passage_in_context(chunks, chunk.chunk_id)
    with st.container(height=520):
        st.markdown(highlighted_markdown(text, [span]), unsafe_allow_html=True)


def show_page(user: ScopedAssistant, chunk: ChunkView, cells: Sequence[CitedCell]) -> None:
    """A page of the passage's PDF, the passage marked on its own page, with paging."""
    number = int(st.session_state.get(PAGE_KEY) or chunk.page or 1)
    try:
        page = user.page_image(chunk.document_id, number)
    except USER_ERRORS as exc:
        show_error(exc)
        return
    previous, chosen, following = st.columns([1, 2, 1], vertical_alignment="bottom")
    previous.button(
        "Previous page", key="source_previous", disabled=number <= 1, on_click=_turn, args=(-1,)
    )
    chosen.number_input("PDF page", 1, page.page_count, key=PAGE_KEY)
    following.button(
        "Next page",
        key="source_next",
        disabled=number >= page.page_count,
        on_click=_turn,
        args=(1,),
    )
    st.caption(page_heading(page))
    if page.png is None:
        st.info(escape_markdown(page.unavailable or "The image of this page is unavailable."))
        if number == chunk.page:
            whole = [(0, len(chunk.text))]
            st.markdown(highlighted_markdown(chunk.text, whole), unsafe_allow_html=True)
        return
    on_its_page = number == chunk.page
    image = highlighted_page(page.png, chunk, cells) if on_its_page else page.png
    caption = "The passage is highlighted." if on_its_page and chunk.boxes else None
    st.image(image, caption=caption, width="stretch", output_format="PNG")


def _turn(step: int) -> None:
    st.session_state[PAGE_KEY] = int(st.session_state.get(PAGE_KEY) or 1) + step
