"""Parsing any supported file into pages and blocks, choosing the parser by media type.

``parse_file`` is the single entry point: it enforces the size limit, detects the format when
the caller does not know it, and turns every failure caused by the file itself into an
``IngestError`` whose message can be shown to the user as is. A PDF says how far it has read
after each page; the other formats are read in one go and say so once, at the end.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from ingest.detect import CSV, DOCX, HTML, MARKDOWN, PDF, TEXT, detect_media_type
from ingest.errors import CorruptFileError, EmptyDocumentError, IngestError, UnsupportedFormatError
from ingest.limits import ParseLimits, check_file_size
from ingest.parsers.csv import parse_csv
from ingest.parsers.docx import parse_docx
from ingest.parsers.html import parse_html
from ingest.parsers.markdown import parse_markdown
from ingest.parsers.pdf import parse_pdf
from ingest.parsers.text import parse_text
from ingest.types import PageProgress, ParsedDocument

__all__ = ["PAGED_PARSERS", "PARSERS", "PagedParser", "Parser", "parse_file"]


class Parser(Protocol):
    """Turns one file of a known format into a document, within ``limits``."""

    def __call__(self, path: Path, limits: ParseLimits) -> ParsedDocument: ...


class PagedParser(Protocol):
    """A parser that reads page by page and tells ``on_page`` after each page."""

    def __call__(
        self, path: Path, limits: ParseLimits, on_page: PageProgress | None = None
    ) -> ParsedDocument: ...


PAGED_PARSERS: Mapping[str, PagedParser] = MappingProxyType({PDF: parse_pdf})

PARSERS: Mapping[str, Parser] = MappingProxyType(
    {
        PDF: parse_pdf,
        DOCX: parse_docx,
        HTML: parse_html,
        MARKDOWN: parse_markdown,
        TEXT: parse_text,
        CSV: parse_csv,
    }
)

_FORMAT_NAMES = {
    PDF: "a PDF",
    DOCX: "a Word document",
    HTML: "an HTML page",
    MARKDOWN: "a Markdown file",
    TEXT: "a text file",
    CSV: "a CSV file",
}


def parse_file(
    path: Path,
    *,
    limits: ParseLimits,
    media_type: str | None = None,
    on_page: PageProgress | None = None,
) -> ParsedDocument:
    """The pages and blocks of ``path``; ``media_type`` skips detection when already known.
    ``on_page`` is told how many pages are read: after each page of a PDF, once at the end
    for the other formats.

    Raises an ``IngestError`` subclass when the file is too large, of an unsupported format,
    damaged, password protected, unsafe to unpack, or holds no text. Errors of the file system
    itself (a missing file, no permission) propagate unchanged.
    """
    size = check_file_size(path, limits)
    if size == 0:
        raise EmptyDocumentError(f"{path.name} is empty.")
    kind = _bare_media_type(media_type) if media_type else detect_media_type(path)
    if kind not in PARSERS:
        raise UnsupportedFormatError(f"{path.name}: the format {kind!r} is not supported.")
    try:
        document = _read(path, kind, limits.started(), on_page)
    except (IngestError, OSError, MemoryError):
        raise
    except Exception as exc:
        raise CorruptFileError(
            f"{path.name} could not be read as {_FORMAT_NAMES[kind]}; it may be damaged "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    if not any(page.text.strip() for page in document.pages):
        hint = "; scanned PDFs need OCR, which is not supported" if kind == PDF else ""
        raise EmptyDocumentError(f"{path.name} has no extractable text{hint}.")
    return document


def _read(
    path: Path, kind: str, limits: ParseLimits, on_page: PageProgress | None
) -> ParsedDocument:
    paged = PAGED_PARSERS.get(kind)
    if paged is not None:
        return paged(path, limits, on_page)
    document = PARSERS[kind](path, limits)
    if on_page is not None:
        on_page(len(document.pages), len(document.pages))
    return document


def _bare_media_type(media_type: str) -> str:
    """``text/html; charset=utf-8`` -> ``text/html``."""
    return media_type.split(";", 1)[0].strip().lower()
