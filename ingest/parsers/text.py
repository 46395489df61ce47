"""Plain text files: encoding detected, line endings normalised, paragraphs split on blank lines."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.encoding import decode_bytes
from ingest.errors import UnsupportedFormatError
from ingest.limits import ParseLimits, check_text_size, check_time
from ingest.parsers.pagebuilder import PageBuilder
from ingest.types import ParsedDocument

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*|\f")


def read_text_file(path: Path) -> str:
    """The text of ``path`` with ``\\n`` line endings; raises UnsupportedFormatError if binary."""
    text = decode_bytes(path.read_bytes())
    if text is None:
        raise UnsupportedFormatError(f"{path.name} looks like binary data, not text.")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_text(path: Path, limits: ParseLimits) -> ParsedDocument:
    """One page without a number whose paragraphs are the blank-line separated parts.

    A file without any blank line usually holds one paragraph per line (text exported from a
    word processor or a web form), so then each line is a paragraph.
    """
    text = read_text_file(path)
    check_text_size(path.name, len(text), limits)
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    if len(paragraphs) == 1:
        paragraphs = paragraphs[0].split("\n")
    builder = PageBuilder()
    for paragraph in paragraphs:
        check_time(path.name, limits)
        builder.add_paragraph(paragraph)
    return ParsedDocument(pages=(builder.build(None),))
