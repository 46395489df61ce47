"""Shared value types that flow from parsers through the chunker into storage.

A parser turns a file into pages of canonical text plus the structural blocks found in that
text. Offsets always index into ``Page.text``, so a citation can point at an exact span of the
page a user sees in the source viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

PageProgress = Callable[[int, int], None]
"""Told by a parser, as it reads, how many of a document's pages it has read and how many
there are."""


class BlockKind(StrEnum):
    """What a block of text is, as far as structure-aware chunking cares."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    TABLE = "table"


@dataclass(frozen=True)
class Block:
    """A structural unit of one page: ``page.text[start:end]`` is its text.

    ``level`` is the heading level (1 = top) for headings and 0 otherwise. For tables the text
    is rendered as Markdown rows and ``header_end`` is the offset where the header row (and its
    separator line) ends, so the chunker can repeat the header when it splits the rows.
    """

    kind: BlockKind
    start: int
    end: int
    level: int = 0
    header_end: int | None = None


@dataclass(frozen=True)
class Box:
    """A rectangle of a rendered page holding ``text``: a word, or a run of words of one line.

    Coordinates are shares of the page's width (``x0`` < ``x1``) and height (``top`` <
    ``bottom``), measured from the top left corner of the page as it is displayed, so they fit
    an image of the page at any size.
    """

    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Page:
    """Canonical extracted text of one page, with its blocks in reading order.

    ``number`` is 1-based for paged formats (PDF) and ``None`` for formats without pages, where
    the whole file is one page and offsets index into the whole text. ``label`` is the number
    printed on the page when the file says it differs from ``number`` (a PDF's page labels),
    and ``words`` are the page's words where they stand, in the order the file holds them
    (empty for formats without a page image).
    """

    number: int | None
    text: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    label: str | None = None
    words: tuple[Box, ...] = ()


@dataclass(frozen=True)
class ParsedDocument:
    """Everything a parser extracted from one file."""

    pages: tuple[Page, ...]
    title: str | None = None

    @property
    def char_count(self) -> int:
        return sum(len(p.text) for p in self.pages)


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk ready to be stored: its text and the exact place it came from.

    ``char_start``/``char_end`` are offsets into the text of page ``page`` (or of the whole file
    when ``page`` is ``None``). The chunk text equals that span, except that a split table repeats
    its header row in front of the rows it carries. ``page_label`` is the page's printed label
    and ``boxes`` are where the chunk's words stand on the page image (see ``ingest.locate``).
    """

    ordinal: int
    text: str
    page: int | None
    char_start: int
    char_end: int
    heading_path: tuple[str, ...] = ()
    is_table: bool = False
    token_count: int = 0
    page_label: str | None = None
    boxes: tuple[Box, ...] = ()
