"""Cutting parsed pages into chunks that fit the embedding model and can be cited exactly.

A chunk is what retrieval returns and what an answer cites, so it has to be small enough for
the embedding model to read whole (``max_tokens`` word pieces), large enough to carry context,
and anchored to one exact span of one page:

* Chunks never cross a page boundary, because a citation names one page.
* A heading starts a new chunk and opens it (``"Heading\\n\\nparagraph..."``); the headings above
  a chunk form its ``heading_path``. Headings with nothing between them stay together.
* Small paragraphs are packed together. A paragraph too long for one chunk is cut at sentence
  ends, else at line breaks, else between words, else inside a word, and each piece after the
  first repeats about ``overlap_tokens`` from the end of the piece before, so a sentence cut in
  two is still found whole in one of them.
* A table gets chunks of its own. One too long for a chunk is cut between rows (a single row
  too long for a chunk between words), and every piece after the first repeats the header row
  and separator line in front of its rows, unless they fill more than half a chunk.

Offsets: for prose and for a table that fits whole, ``text == page.text[char_start:char_end]``.
A piece of a split table other than the first has text ``header + "\\n" + rows`` and its
``[char_start, char_end)`` covers only the rows it carries; the first piece starts at the
table (or at the heading just above it) and is an exact span like prose.

Blocks are taken as hints about structure: text that no block claims is chunked as paragraphs
and overlapping blocks are clipped, so a parser's mistake never drops text from search. The
one text left out on purpose is navigation (see ``ingest.navigation``): a "Table of Contents"
link, a bare page number, a running header or footer is no passage, nor part of one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from ingest.navigation import navigation_blocks
from ingest.tables import is_unit_note
from ingest.tokens import TokenCounter, batched
from ingest.types import Block, BlockKind, ChunkDraft, Page, ParsedDocument

_BLANK_LINE = re.compile(r"\n\s*\n")
_SENTENCE_GAP = re.compile(r"[.!?]+[\"'”’)\]]*\s+")
_LINE_END = re.compile(r"\n")
_WORD = re.compile(r"\S+")
_WORD_START = re.compile(r"(?<!\S)\S")
_LINE = re.compile(r"[^\n]+")
_CONTENT = re.compile(r"[^\W_]")

_HeadingStack = tuple[tuple[int, str], ...]
_CountMany = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True, slots=True)
class _Limits:
    max_tokens: int
    overlap_tokens: int
    count: TokenCounter
    count_many: _CountMany


@dataclass(frozen=True, slots=True)
class _Unit:
    """A span of the page that is never cut: a heading, a paragraph, a sentence, a table row
    or, when nothing larger fits, a word or part of one.

    ``origin`` is where the paragraph the unit comes from starts: overlap never reaches back
    past it, so it only ever repeats text of the same paragraph.
    """

    start: int
    end: int
    tokens: int
    origin: int


@dataclass(frozen=True, slots=True)
class _Head:
    """A table's header row and separator line, repeated in front of each piece that starts
    at or after ``after`` (the end of the header in the page text)."""

    text: str
    tokens: int
    after: int


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    start: int
    end: int
    tokens: int
    is_table: bool


def chunk_document(
    doc: ParsedDocument, *, max_tokens: int, overlap_tokens: int, count_tokens: TokenCounter
) -> list[ChunkDraft]:
    """Chunks of every page of ``doc`` in reading order, each at most ``max_tokens`` long as
    measured by ``count_tokens``."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError(f"overlap_tokens must be in [0, max_tokens), got {overlap_tokens}")
    limits = _Limits(max_tokens, overlap_tokens, count_tokens, batched(count_tokens))
    drafts: list[ChunkDraft] = []
    stack: _HeadingStack = ()
    for page, blocks in zip(doc.pages, content_blocks(doc), strict=True):
        walker = _PageWalker(page.text, stack, limits)
        for piece, path in walker.run(blocks):
            drafts.append(
                ChunkDraft(
                    ordinal=len(drafts),
                    text=piece.text,
                    page=page.number,
                    char_start=piece.start,
                    char_end=piece.end,
                    heading_path=path,
                    is_table=piece.is_table,
                    token_count=piece.tokens,
                )
            )
        stack = walker.stack
    return drafts


def content_blocks(doc: ParsedDocument) -> list[list[Block]]:
    """What is chunked of each page: its blocks in text order, clipped so that none overlaps
    the one before, with unclaimed text as paragraphs, less the blocks that are navigation
    only."""
    pages = [(page.text, _page_blocks(page)) for page in doc.pages]
    navigation = navigation_blocks(pages)
    return [
        [block for i, block in enumerate(blocks) if i not in skipped]
        for (_, blocks), skipped in zip(pages, navigation, strict=True)
    ]


def _page_blocks(page: Page) -> list[Block]:
    """The page's blocks in text order, clipped so that none overlaps the one before, with
    unclaimed text (all of it when the page has no blocks) added as paragraphs."""
    text = page.text
    blocks: list[Block] = []
    cursor = 0
    for block in sorted(page.blocks, key=lambda b: b.start):
        start = min(max(block.start, cursor), len(text))
        end = min(block.end, len(text))
        if end <= start:
            continue
        blocks.extend(_paragraphs(text, cursor, start))
        blocks.append(replace(block, start=start, end=end))
        cursor = end
    blocks.extend(_paragraphs(text, cursor, len(text)))
    return blocks


def _paragraphs(text: str, start: int, end: int) -> list[Block]:
    """``text[start:end]`` cut at blank lines. Pieces without a letter or digit (markup left
    between blocks, such as a Markdown heading's ``#``) are not content and are dropped."""
    bounds = [start]
    for blank in _BLANK_LINE.finditer(text, start, end):
        bounds.extend((blank.start(), blank.end()))
    bounds.append(end)
    return [
        Block(BlockKind.PARAGRAPH, a, b)
        for a, b in zip(bounds[::2], bounds[1::2], strict=True)
        if _CONTENT.search(text, a, b)
    ]


class _PageWalker:
    """Walks the blocks of one page, keeping the heading stack and the headings and paragraphs
    that wait to be packed into chunks."""

    def __init__(self, text: str, stack: _HeadingStack, limits: _Limits) -> None:
        self.stack = stack
        self._text = text
        self._limits = limits
        self._pending: list[_Unit] = []
        self._has_body = False
        self._body_from = 0
        """Where the paragraphs among the waiting units start (the headings come first)."""
        self._out: list[tuple[_Piece, tuple[str, ...]]] = []

    def run(self, blocks: Sequence[Block]) -> list[tuple[_Piece, tuple[str, ...]]]:
        """Chunks of the page, each with its heading path."""
        spans = [
            (block, span) for block in blocks if (span := _trim(self._text, block.start, block.end))
        ]
        counts = self._limits.count_many([self._text[s:e] for _, (s, e) in spans])
        for (block, (start, end)), tokens in zip(spans, counts, strict=True):
            unit = _Unit(start, end, tokens, start)
            if block.kind is BlockKind.HEADING:
                self._heading(block.level, unit)
            elif block.kind is BlockKind.TABLE:
                self._table(block, unit)
            else:
                if not self._has_body:
                    self._body_from = len(self._pending)
                self._pending.append(unit)
                self._has_body = True
        self._flush()
        return self._out

    def _heading(self, level: int, unit: _Unit) -> None:
        if self._has_body:
            self._flush()
        depth = max(level, 1)
        title = " ".join(self._text[unit.start : unit.end].split())
        self.stack = (*(entry for entry in self.stack if entry[0] < depth), (depth, title))
        self._pending.append(unit)

    def _table(self, block: Block, unit: _Unit) -> None:
        # A short note right above the table that gives its unit ("In millions of dollars")
        # goes with the table, so that every piece of it can be read with its scale.
        note = self._pending[-1] if self._has_body else None
        if note is not None and is_unit_note(self._text[note.start : note.end]):
            self._pending.pop()
            self._has_body = len(self._pending) > self._body_from
        else:
            note = None
        if self._has_body:
            self._flush()
        # Headings (and the unit note) right above a table open its first piece.
        lead, self._pending = self._pending, []
        if note is not None:
            lead.append(note)
        self._emit(_table_pieces(self._text, block, unit, lead, self._limits, note))

    def _flush(self) -> None:
        if self._pending:
            limits = self._limits
            units = _fit_all(self._text, self._pending, limits.max_tokens, limits.count_many)
            self._emit(_pack(self._text, units, limits, head=None, is_table=False))
        self._pending = []
        self._has_body = False

    def _emit(self, pieces: list[_Piece]) -> None:
        path = tuple(title for _, title in self.stack)
        self._out.extend((piece, path) for piece in pieces)


def _table_pieces(
    text: str,
    block: Block,
    table: _Unit,
    lead: Sequence[_Unit],
    limits: _Limits,
    note: _Unit | None = None,
) -> list[_Piece]:
    """The table in one piece, opened by the ``lead`` headings, when it fits; else pieces of
    whole rows, each piece after the first led by a copy of the header (and of the unit
    ``note``, when the table has one)."""
    start = lead[0].start if lead else table.start
    if table.tokens <= limits.max_tokens:
        tokens = limits.count(text[start : table.end]) if lead else table.tokens
        if tokens <= limits.max_tokens:
            return [_Piece(text[start : table.end], start, table.end, tokens, is_table=True)]
    header, rows = _table_units(text, block, table, limits.count_many)
    lead_units = _fit_all(text, lead, limits.max_tokens, limits.count_many)
    no_overlap = replace(limits, overlap_tokens=0)
    if header is None or header.tokens > limits.max_tokens // 2:
        # No header, or one too long to repeat: the rows are cut like any text.
        body = _fit_all(
            text, [header, *rows] if header else rows, limits.max_tokens, limits.count_many
        )
        return _pack(text, [*lead_units, *body], no_overlap, head=None, is_table=True)
    head = _Head(text[header.start : header.end], header.tokens, after=header.end)
    if note is not None and note.tokens + header.tokens <= limits.max_tokens // 2:
        head = _Head(
            f"{text[note.start : note.end]}\n\n{head.text}",
            note.tokens + header.tokens + 1,
            after=header.end,
        )
    fitted = _fit_all(text, rows, limits.max_tokens - head.tokens, limits.count_many)
    return _pack(text, [*lead_units, header, *fitted], no_overlap, head=head, is_table=True)


def _table_units(
    text: str, block: Block, table: _Unit, count_many: _CountMany
) -> tuple[_Unit | None, list[_Unit]]:
    """The table's header (header row and separator line), if it has one, and its rows."""
    header_span = None
    if block.header_end is not None and table.start < block.header_end < table.end:
        header_span = _trim(text, table.start, block.header_end)
    rows_start = header_span[1] if header_span else table.start
    spans = [
        span
        for line in _LINE.finditer(text, rows_start, table.end)
        if (span := _trim(text, line.start(), line.end()))
    ]
    if header_span:
        spans.insert(0, header_span)
    counts = count_many([text[s:e] for s, e in spans])
    units = [_Unit(s, e, n, table.start) for (s, e), n in zip(spans, counts, strict=True)]
    return (units[0], units[1:]) if header_span else (None, units)


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` without surrounding whitespace; ``None`` when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _fit_all(text: str, units: Sequence[_Unit], limit: int, count_many: _CountMany) -> list[_Unit]:
    """Every unit cut into parts of at most ``limit`` tokens, in order."""
    return [part for unit in units for part in _fit(text, unit, limit, count_many)]


def _fit(text: str, unit: _Unit, limit: int, count_many: _CountMany) -> list[_Unit]:
    """``unit`` cut into parts of at most ``limit`` tokens, as coarsely as possible."""
    if unit.tokens <= limit:
        return [unit]
    spans = _split(text, unit.start, unit.end)
    if not spans:
        return [unit]  # a single character: nothing smaller exists
    counts = count_many([text[s:e] for s, e in spans])
    return [
        part
        for (start, end), tokens in zip(spans, counts, strict=True)
        for part in _fit(text, _Unit(start, end, tokens, unit.origin), limit, count_many)
    ]


def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The first of these cuts of ``text[start:end]`` that gives several parts: at sentence
    ends, at line breaks, between words, in the middle. Empty for a single character."""
    for pattern in (_SENTENCE_GAP, _LINE_END):
        cuts = [start, *(m.end() for m in pattern.finditer(text, start, end)), end]
        parts = [span for a, b in pairwise(cuts) if (span := _trim(text, a, b))]
        if len(parts) > 1:
            return parts
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    if len(words) > 1:
        return words
    middle = (start + end) // 2
    return [(start, middle), (middle, end)] if middle > start else []


def _pack(
    text: str, units: Sequence[_Unit], limits: _Limits, *, head: _Head | None, is_table: bool
) -> list[_Piece]:
    """Consecutive units packed greedily into pieces of at most ``max_tokens``.

    A piece that starts inside a paragraph first repeats the end of the piece before (the
    overlap); a piece of table rows after the header starts with ``head`` instead.
    """
    pieces: list[_Piece] = []
    i = 0
    carry_start, carry_tokens = units[0].start, 0
    while i < len(units):
        piece_head = head if head and units[i].start >= head.after else None
        reserved = carry_tokens + (piece_head.tokens if piece_head else 0)
        j = _greedy_end(units, i, limits.max_tokens - reserved)
        piece, j = _settle(text, units, (i, j), carry_start, piece_head, limits, is_table)
        pieces.append(piece)
        if j < len(units):
            carry_start, carry_tokens = _overlap(text, units, j, piece.start, limits)
        i = j
    return pieces


def _greedy_end(units: Sequence[_Unit], i: int, budget: int) -> int:
    """End (exclusive) of the longest run from ``units[i]`` whose tokens sum within ``budget``;
    the run always holds at least ``units[i]``."""
    j, total = i + 1, units[i].tokens
    while j < len(units) and total + units[j].tokens <= budget:
        total += units[j].tokens
        j += 1
    return j


def _settle(
    text: str,
    units: Sequence[_Unit],
    run: tuple[int, int],
    start: int,
    head: _Head | None,
    limits: _Limits,
    is_table: bool,
) -> tuple[_Piece, int]:
    """The piece of ``units[i:j]`` measured as a whole, shrunk until it fits.

    Counts of parts need not add up to the count of the whole (a word cut in two reads
    differently), so the piece is counted once more; if it is too long it gives up its last
    units, then its overlap, then its head.
    """
    i, j = run
    while True:
        end = units[j - 1].end
        body = text[start:end]
        piece_text = f"{head.text}\n{body}" if head else body
        alone = head is None and j == i + 1 and start == units[i].start
        tokens = units[i].tokens if alone else limits.count(piece_text)
        if tokens <= limits.max_tokens or alone:
            return _Piece(piece_text, start, end, tokens, is_table), j
        if j > i + 1:
            j -= 1
        elif start != units[i].start:
            start = units[i].start
        else:
            head = None


def _overlap(
    text: str, units: Sequence[_Unit], j: int, previous_start: int, limits: _Limits
) -> tuple[int, int]:
    """Start and token count of the text the piece opening with ``units[j]`` repeats.

    It is the end of the previous piece, within the same paragraph, of at most
    ``overlap_tokens`` (and leaving room for ``units[j]``): from the first sentence start in
    the longest run of whole words that fits, or from the start of that run when it holds none.
    """
    following = units[j]
    budget = min(limits.overlap_tokens, limits.max_tokens - following.tokens)
    if budget <= 0 or units[j - 1].origin != following.origin:
        return following.start, 0
    floor = max(previous_start + 1, following.origin)
    # Every word is at least one piece, so only the last ``budget`` words can fit.
    starts = [m.start() for m in _WORD_START.finditer(text, floor, following.start)][-budget:]
    first = _longest_tail(text, starts, following.start, budget, limits.count)
    if first is None:
        return following.start, 0
    gaps = _SENTENCE_GAP.finditer(text, max(previous_start, following.origin), following.start)
    sentence = next((gap.end() for gap in gaps if gap.end() >= first), following.start)
    start = first if first == following.origin or sentence == following.start else sentence
    return start, limits.count(text[start : following.start])


def _longest_tail(
    text: str, starts: Sequence[int], end: int, budget: int, count: TokenCounter
) -> int | None:
    """The smallest of the ascending ``starts`` from which ``text[start:end]`` fits ``budget``."""
    low, high = 0, len(starts)
    while low < high:
        middle = (low + high) // 2
        if count(text[starts[middle] : end]) <= budget:
            high = middle
        else:
            low = middle + 1
    return starts[low] if low < len(starts) else None
