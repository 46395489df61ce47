"""PDF pages drawn as PNG images, as a reader sees them, for the source viewer.

Pages are drawn with PDFium (through pypdfium2), under the same lock as the parser, at a fixed
width in pixels so that every page image fits the viewer whatever the paper size. A page that
cannot be drawn raises ``CorruptFileError``; callers keep the document's text regardless.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pypdfium2 as pdfium

from ingest.errors import CorruptFileError
from ingest.pdfium_lock import PDFIUM_LOCK

PAGE_WIDTH_PX = 1000
"""Width of a page image; its height follows the page's proportions."""
_MAX_SCALE = 4.0
"""Pixels per point at most, so a tiny page is not blown up into a huge image."""


def render_page(path: Path, number: int, *, width_px: int = PAGE_WIDTH_PX) -> bytes:
    """Page ``number`` (1-based) of the PDF ``path`` as a PNG image ``width_px`` wide."""
    with _opened(path) as document:
        with PDFIUM_LOCK:
            count = len(document)
        if not 1 <= number <= count:
            raise CorruptFileError(f"{path.name} has no page {number}.")
        return _png(document, number, path.name, width_px)


def render_pages(path: Path, *, width_px: int = PAGE_WIDTH_PX) -> Iterator[tuple[int, bytes]]:
    """Every page of the PDF ``path`` as ``(number, PNG image)``, in order."""
    with _opened(path) as document:
        with PDFIUM_LOCK:
            count = len(document)
        for number in range(1, count + 1):
            yield number, _png(document, number, path.name, width_px)


@contextmanager
def _opened(path: Path) -> Iterator[pdfium.PdfDocument]:
    """The PDF ``path`` opened for drawing, closed on leaving."""
    try:
        with PDFIUM_LOCK:
            document = pdfium.PdfDocument(str(path))
    except (pdfium.PdfiumError, OSError) as exc:
        raise CorruptFileError(f"{path.name} could not be opened: {exc}") from exc
    try:
        yield document
    finally:
        with PDFIUM_LOCK:
            document.close()


def _png(document: pdfium.PdfDocument, number: int, name: str, width_px: int) -> bytes:
    try:
        with PDFIUM_LOCK:
            page = document[number - 1]
            try:
                width = max(page.get_width(), 1.0)
                scale = min(width_px / width, _MAX_SCALE)
                image = page.render(scale=scale).to_pil()
            finally:
                page.close()
    except (pdfium.PdfiumError, ValueError, OSError) as exc:
        raise CorruptFileError(f"Page {number} of {name} could not be drawn: {exc}") from exc
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=False)
    return out.getvalue()
