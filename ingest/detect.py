"""Recognising which supported format a file is in, from its content first and its name second.

Binary formats are recognised by their magic bytes, so a PDF named ``.txt`` is still read as a
PDF; text formats (HTML, Markdown, CSV, plain text) cannot be told apart reliably by content, so
their extension decides, with a content check for HTML when the extension says nothing.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ingest.encoding import SNIFF_BYTES, sniff_encoding
from ingest.errors import CorruptFileError, EmptyDocumentError, UnsupportedFormatError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html"
MARKDOWN = "text/markdown"
TEXT = "text/plain"
CSV = "text/csv"

SUPPORTED_MEDIA_TYPES = frozenset({PDF, DOCX, HTML, MARKDOWN, TEXT, CSV})

_SUPPORTED_NAMES = "PDF, Word (.docx), HTML, Markdown, plain text or CSV"

_TEXT_EXTENSIONS = {
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".csv": CSV,
    ".tsv": CSV,
    ".txt": TEXT,
    ".text": TEXT,
}
_BINARY_EXTENSIONS = {".pdf": PDF, ".docx": DOCX}

_PDF_MAGIC = b"%PDF-"
_PDF_MAGIC_WINDOW = 1024
"""Readers accept a PDF header preceded by some junk bytes, so the magic is searched this far."""
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RTF_MAGIC = b"{\\rtf"
_DOCX_MAIN_PART = "word/document.xml"
_HTML_HINTS = ("<!doctype html", "<html", "<head", "<body")


def detect_media_type(path: Path) -> str:
    """The media type of ``path``, one of ``SUPPORTED_MEDIA_TYPES``.

    Raises UnsupportedFormatError for anything else (binary data, legacy Office files, other
    zip-based formats), EmptyDocumentError for an empty file, and CorruptFileError for a file
    whose extension promises a binary format its content does not have.
    """
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    if not head:
        raise EmptyDocumentError(f"{path.name} is empty.")
    if _PDF_MAGIC in head[:_PDF_MAGIC_WINDOW]:
        return PDF
    if head.startswith(_ZIP_MAGIC):
        return _zip_media_type(path)
    if head.startswith(_OLE_MAGIC):
        raise UnsupportedFormatError(
            f"{path.name} is a legacy Microsoft Office file (.doc, .xls or .ppt); save it as "
            ".docx or PDF and upload it again."
        )
    if head.startswith(_RTF_MAGIC):
        raise UnsupportedFormatError(
            f"{path.name} is a Rich Text (RTF) file; save it as .docx or PDF and upload it again."
        )
    suffix = path.suffix.lower()
    expected = _BINARY_EXTENSIONS.get(suffix)
    if expected is not None:
        raise CorruptFileError(
            f"{path.name} is named like a {suffix[1:].upper()} file but its content is not one; "
            "it may be damaged or mislabelled."
        )
    encoding = sniff_encoding(head)
    if encoding is None:
        raise UnsupportedFormatError(
            f"{path.name} looks like binary data, not a supported document ({_SUPPORTED_NAMES})."
        )
    by_extension = _TEXT_EXTENSIONS.get(suffix)
    if by_extension is not None:
        return by_extension
    start = head[:_PDF_MAGIC_WINDOW].decode(encoding, errors="replace").lstrip("\ufeff").lower()
    if any(hint in start for hint in _HTML_HINTS):
        return HTML
    return TEXT


def _zip_media_type(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptFileError(f"{path.name} is a damaged zip container: {exc}") from exc
    if _DOCX_MAIN_PART in names:
        return DOCX
    raise UnsupportedFormatError(
        f"{path.name} is a zip archive but not a Word .docx document; supported formats are "
        f"{_SUPPORTED_NAMES}."
    )
