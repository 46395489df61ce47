"""Assembling the canonical text of a page from its blocks, with exact offsets.

Every parser except Markdown (which keeps its source text) produces pages the same way: blocks
in reading order joined by one blank line, whitespace tidied, tables rendered as Markdown rows.
Sharing that here keeps the text conventions identical across formats, which the chunker and
the source viewer rely on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.types import Block, BlockKind, Page

BLOCK_SEPARATOR = "\n\n"

_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b\ufeff]")
_ANY_SPACE = re.compile(r"\s+")


def tidy_text(text: str) -> str:
    """Text with control characters dropped, space runs collapsed and blank lines removed.

    Line breaks inside the text are kept: they are part of how a paragraph was laid out.
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def tidy_line(text: str) -> str:
    """Text as one line: control characters dropped and every whitespace run made one space."""
    return _ANY_SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def render_markdown_table(rows: Sequence[Sequence[str]]) -> tuple[str, int]:
    """Rows as a Markdown table, and the length of its header (first row plus separator line).

    Short rows are padded to the widest one; pipes inside cells are escaped and cell text is
    kept on one line so each row stays one line. Returns ``("", 0)`` when no cell has text.
    """
    cleaned = [[tidy_line(cell).replace("|", "\\|") for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return "", 0
    width = max(len(row) for row in cleaned)
    lines = [_markdown_row([*row, *([""] * (width - len(row)))]) for row in cleaned]
    header = f"{lines[0]}\n|{'---|' * width}"
    body = "\n".join(lines[1:])
    return (f"{header}\n{body}" if body else header), len(header)


def _markdown_row(cells: Sequence[str]) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


class PageBuilder:
    """Collects the blocks of one page in reading order and builds the ``Page``."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._blocks: list[Block] = []
        self._length = 0

    @property
    def char_count(self) -> int:
        """Length of the page text built so far."""
        return self._length

    def add_paragraph(self, text: str) -> None:
        """Adds a paragraph; blank text is skipped."""
        self._add(tidy_text(text), BlockKind.PARAGRAPH)

    def add_heading(self, text: str, level: int) -> None:
        """Adds a heading (``level`` 1 is the top) on a single line; blank text is skipped."""
        self._add(tidy_line(text), BlockKind.HEADING, level=max(level, 1))

    def add_table(self, rows: Sequence[Sequence[str]]) -> None:
        """Adds a table rendered as Markdown rows; a table without text is skipped."""
        text, header_length = render_markdown_table(rows)
        self._add(text, BlockKind.TABLE, header_length=header_length)

    def build(self, number: int | None) -> Page:
        """The page holding everything added so far."""
        return Page(number=number, text="".join(self._parts), blocks=tuple(self._blocks))

    def _add(self, text: str, kind: BlockKind, *, level: int = 0, header_length: int = 0) -> None:
        if not text:
            return
        if self._parts:
            self._parts.append(BLOCK_SEPARATOR)
            self._length += len(BLOCK_SEPARATOR)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        header_end = start + header_length if kind is BlockKind.TABLE else None
        self._blocks.append(
            Block(kind=kind, start=start, end=self._length, level=level, header_end=header_end)
        )
