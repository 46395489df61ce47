"""Markdown files: the source text is kept as the page text and blocks point into it.

Markdown is already readable as text, and users expect citations to show what they wrote, so
nothing is rendered: headings, paragraphs, list items and pipe tables become blocks over their
source lines (a heading block covers only its title, without the ``#`` marks).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.limits import ParseLimits, check_text_size
from ingest.parsers.text import read_text_file
from ingest.types import Block, BlockKind, Page, ParsedDocument

_CONTAINERS = frozenset({"bullet_list_open", "ordered_list_open"})
_SKIPPED = frozenset({"hr"})


def parse_markdown(path: Path, limits: ParseLimits) -> ParsedDocument:
    """One page without a number holding the file text, with heading, paragraph and table
    blocks in document order."""
    text = read_text_file(path)
    check_text_size(path.name, len(text), limits)
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    lines = _LineIndex(text)
    blocks = tuple(_blocks(tokens, text, lines))
    title = next(
        (text[b.start : b.end] for b in blocks if b.kind is BlockKind.HEADING),
        None,
    )
    return ParsedDocument(pages=(Page(number=None, text=text, blocks=blocks),), title=title)


class _LineIndex:
    """Character offsets of line starts, to turn the parser's line ranges into offsets."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0]
        self._starts.extend(i + 1 for i, char in enumerate(text) if char == "\n")

    def span(self, first_line: int, end_line: int) -> tuple[int, int]:
        """Offsets of lines ``[first_line, end_line)`` with surrounding whitespace trimmed."""
        start = self._starts[first_line] if first_line < len(self._starts) else len(self._text)
        end = self._starts[end_line] if end_line < len(self._starts) else len(self._text)
        return _trim(self._text, start, end)

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line``, before its newline."""
        return self.span(line, line + 1)[1]


def _blocks(tokens: Sequence[Token], text: str, lines: _LineIndex) -> list[Block]:
    blocks: list[Block] = []
    for index, token in enumerate(tokens):
        if token.map is None or token.nesting < 0 or token.type in _SKIPPED:
            continue
        top_level = token.level == 0 and token.type not in _CONTAINERS
        list_item = token.type == "list_item_open" and token.level == 1
        if not (top_level or list_item):
            continue
        first, end = token.map
        start, stop = lines.span(first, end)
        if start >= stop:
            continue
        if token.type == "heading_open":
            blocks.append(_heading(token, tokens[index + 1], text, start, stop))
        elif token.type == "table_open":
            header_end = min(lines.line_end(first + 1), stop)
            blocks.append(Block(BlockKind.TABLE, start, stop, header_end=header_end))
        else:
            blocks.append(Block(BlockKind.PARAGRAPH, start, stop))
    return blocks


def _heading(opening: Token, inline: Token, text: str, start: int, stop: int) -> Block:
    level = int(opening.tag[1:])
    title = inline.content.strip()
    found = text.find(title, start, stop) if title else -1
    if found >= 0:
        start, stop = found, found + len(title)
    return Block(BlockKind.HEADING, start, stop, level=level)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
