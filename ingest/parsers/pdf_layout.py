"""Reading order, paragraphs and tables of one PDF page, recovered from word positions.

A PDF stores positioned glyphs, not paragraphs. This module works on words with their boxes
(top-down coordinates) and rebuilds structure in four steps:

1. rows: words sharing a baseline, split into segments wherever a gap is far wider than a space;
2. tables: runs of rows whose later segments are short cells holding numbers (or rows of three
   or more cells), with the label-only rows between them; their columns come from the x ranges
   that no cell of the table covers;
3. columns: among the other rows, a vertical gutter that many rows share and no row crosses
   splits prose into columns, read left column first;
4. paragraphs: consecutive lines of the same style close together, re-flowed into one line
   where the PDF merely wrapped them: a line keeps its break when the next line's first word
   would have fitted after it (the author ended the line) or the next line opens a list item.

Nothing here knows about the PDF library, so the geometry is testable with made-up words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median

_ROW_OVERLAP = 0.5
"""Share of the smaller height two words must overlap vertically to sit on one row."""
_SEGMENT_GAP = 1.0
"""A horizontal gap wider than this many text heights separates two segments of a row."""
_MAX_CELL_WORDS = 6
"""A segment after the first with more words than this is prose, not a table cell."""
_MAX_TABLE_ROW_GAP = 3.0
"""Text heights of empty space after which a table ends."""
_MAX_LABEL_ROWS = 3
"""Rows holding only a label (a group title or a wrapped row title) allowed between cell rows."""
_MAX_HEADER_ROWS = 2
"""Rows above a table that sit over its data columns and are taken as its header."""
_MIN_TABLE_ROWS = 2
_EDGE_TOLERANCE = 2.0
"""Points of slack when comparing cell edges."""
_MIN_COLUMN_ROWS = 3
"""Rows that must share a gutter before it is taken as the edge between text columns."""
_COLUMN_FILL = 0.5
"""A line fills its column when it is at least this share of the column width."""
_MIN_COLUMN_WORDS = 4
"""Median words per line of a prose column; shorter lines are labels and values, not prose."""
_MAX_COLUMN_DEPTH = 3
_PARAGRAPH_GAP = 0.6
"""Empty space above a line, in text heights, that starts a new paragraph."""
_SIZE_CHANGE = 0.12
"""Relative change in text height that starts a new paragraph."""
_SHORT_LINE = 0.8
"""A line ending a sentence before this share of the column width ends its paragraph."""
_BOLD_SHARE = 0.8
_SPACE_WIDTH = 0.25
"""Width of a space, in text heights, when judging whether a word would have fitted on a line."""

_CURRENCY = frozenset("$€£¥")
_NUMERIC = re.compile(r"^[\s$€£¥(),.%*+\-–—−0-9]*[0-9][\s$€£¥(),.%*+\-–—−0-9]*$")
_PLACEHOLDER = frozenset({"-", "–", "—", "−", "n/a", "n/m", "nm", "*", "$", "%", "(a)", "(b)"})
_SENTENCE_END = (".", ":", "!", "?", ";")
_LIST_ITEM = re.compile(r"(?:[•●○◦▪■□‣⁃∙·*–—-]|\(?(?:\d{1,3}|[a-zA-Z]|[ivxlc]{1,6})[.)])(?:\s|$)")
"""The opening of a list item: a bullet or dash, or an enumerator ("1.", "(a)", "iv)")."""


@dataclass(frozen=True, slots=True)
class Word:
    """A run of glyphs without spaces; ``top < bottom`` (y grows down the page)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    bold_chars: int = 0

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class TextBlock:
    """A paragraph: its text, typical text height and whether (nearly) all of it is bold.

    Wrapped lines are joined by a space; a line the author ended keeps its line break.
    ``line_end_hyphens`` are the offsets in ``text`` of hyphens that ended a line and were
    joined to the next line's word ("materi-ally", "forward-looking"): whether each breaks a
    word or belongs to a compound is decided for the whole document (``pdf_hyphens``).
    """

    text: str
    size: float
    bold: bool
    line_count: int
    line_end_hyphens: tuple[int, ...] = ()


@dataclass(frozen=True)
class TableBlock:
    """A table as rows of cell texts, header row first."""

    rows: tuple[tuple[str, ...], ...]


LayoutBlock = TextBlock | TableBlock


def layout_page(words: Sequence[Word]) -> list[LayoutBlock]:
    """Paragraphs and tables of a page in reading order."""
    rows = _rows(words)
    blocks: list[LayoutBlock] = []
    prose: list[_Row] = []
    for item in _split_tables(rows):
        if isinstance(item, _Row):
            prose.append(item)
            continue
        blocks.extend(_paragraphs(_order_lines(prose)))
        prose = []
        blocks.append(item)
    blocks.extend(_paragraphs(_order_lines(prose)))
    return blocks


@dataclass(slots=True)
class _Segment:
    words: list[Word]
    x0: float
    x1: float

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


@dataclass(slots=True)
class _Row:
    segments: list[_Segment]
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(slots=True)
class _Line:
    words: list[Word]
    column_x0: float
    column_x1: float
    top: float = field(init=False)
    bottom: float = field(init=False)

    def __post_init__(self) -> None:
        self.top = min(word.top for word in self.words)
        self.bottom = max(word.bottom for word in self.words)


# Rows and segments ---------------------------------------------------------------------------


def _rows(words: Sequence[Word]) -> list[_Row]:
    ordered = sorted(words, key=lambda w: (w.top + w.bottom) / 2)
    groups: list[list[Word]] = []
    reference: Word | None = None
    for word in ordered:
        if reference is not None and _same_row(reference, word):
            groups[-1].append(word)
        else:
            groups.append([word])
            reference = word
    return [_make_row(group) for group in groups]


def _same_row(a: Word, b: Word) -> bool:
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return overlap >= _ROW_OVERLAP * min(a.height, b.height)


def _make_row(words: list[Word]) -> _Row:
    words.sort(key=lambda w: w.x0)
    segments: list[_Segment] = []
    for word in words:
        if segments and not _starts_segment(segments[-1], word):
            current = segments[-1]
            current.words.append(word)
            current.x1 = max(current.x1, word.x1)
        else:
            segments.append(_Segment([word], word.x0, word.x1))
    return _Row(
        segments,
        top=min(w.top for w in words),
        bottom=max(w.bottom for w in words),
    )


def _starts_segment(current: _Segment, word: Word) -> bool:
    previous = current.words[-1]
    gap = word.x0 - current.x1
    if gap > _SEGMENT_GAP * max(previous.height, word.height):
        return True
    # "$ 1,234 $ 5,678": a currency sign after a number opens the next cell.
    return word.text in _CURRENCY and _is_numeric(previous.text)


def _is_numeric(text: str) -> bool:
    stripped = text.strip()
    return stripped.lower() in _PLACEHOLDER or bool(_NUMERIC.match(stripped))


# Tables --------------------------------------------------------------------------------------


def _is_cell_row(row: _Row) -> bool:
    cells = row.segments[1:]
    if not cells or any(len(cell.words) > _MAX_CELL_WORDS for cell in cells):
        return False
    return len(cells) >= 2 or _is_numeric(cells[0].text)


def _data_left(rows: Iterable[_Row]) -> float:
    return min(
        (row.segments[1].x0 for row in rows if len(row.segments) > 1),
        default=float("inf"),
    )


def _split_tables(rows: list[_Row]) -> list[_Row | TableBlock]:
    """The rows in order, with each run of rows that forms a table replaced by the table."""
    out: list[_Row | TableBlock] = []
    index = 0
    while index < len(rows):
        end = _table_end(rows, index) if _is_cell_row(rows[index]) else index
        if end == index:
            out.append(rows[index])
            index += 1
            continue
        body = rows[index:end]
        header = _header_rows(out, body)
        del out[len(out) - len(header) :]
        out.append(TableBlock(_grid([*header, *body])))
        index = end
    return out


def _table_end(rows: list[_Row], start: int) -> int:
    """End (exclusive) of the table starting at ``start``, or ``start`` if there is none."""
    data_left = _data_left([rows[start]])
    last = start
    cell_rows = 1
    index = start + 1
    while index < len(rows):
        row = rows[index]
        height = max(rows[last].height, row.height)
        if row.top - rows[index - 1].bottom > _MAX_TABLE_ROW_GAP * height:
            break
        if _is_cell_row(row):
            last = index
            cell_rows += 1
            data_left = min(data_left, _data_left([row]))
        elif not (
            len(row.segments) == 1
            and row.segments[0].x1 <= data_left + _EDGE_TOLERANCE
            and index - last <= _MAX_LABEL_ROWS
        ):
            break
        index += 1
    return last + 1 if cell_rows >= _MIN_TABLE_ROWS else start


def _header_rows(before: list[_Row | TableBlock], body: list[_Row]) -> list[_Row]:
    """Rows just above a table that hold its column titles."""
    data_left = _data_left(body)
    header: list[_Row] = []
    below = body[0]
    for item in reversed(before[len(before) - _MAX_HEADER_ROWS :]):
        if not isinstance(item, _Row):
            break
        close = below.top - item.bottom <= _MAX_TABLE_ROW_GAP * max(item.height, below.height)
        if not close or not _is_header_row(item, data_left):
            break
        header.insert(0, item)
        below = item
    return header


def _is_header_row(row: _Row, data_left: float) -> bool:
    """Titles over the data columns only, or short titles for every column, the first one
    over the row labels ("Assumption   Amount")."""
    if row.segments[0].x0 >= data_left - _EDGE_TOLERANCE:
        return True
    titles = row.segments[1:]
    return (
        bool(titles)
        and all(len(segment.words) <= _MAX_CELL_WORDS for segment in row.segments)
        and all(segment.x0 >= data_left - _EDGE_TOLERANCE for segment in titles)
    )


def _grid(rows: list[_Row]) -> tuple[tuple[str, ...], ...]:
    columns = _column_cores(rows)
    grid: list[list[str]] = []
    for row in rows:
        cells = [""] * len(columns)
        for segment in row.segments:
            column = _best_column(segment, columns)
            cells[column] = f"{cells[column]} {segment.text}".strip()
        grid.append(cells)
    return _merge_symbol_columns(grid)


def _column_cores(rows: list[_Row]) -> list[tuple[float, float]]:
    """X ranges covered by cells of more than a few rows: the table's columns.

    A header spanning several columns, or a long wrapped row title, covers the gap between two
    columns in one row only, so a gap may be crossed by a tenth of the rows and still count.
    """
    tolerance = len(rows) // 10 if len(rows) >= 4 else 0
    events: list[tuple[float, int]] = []
    for row in rows:
        for segment in row.segments:
            events.append((segment.x0, 1))
            events.append((segment.x1, -1))
    events.sort(key=lambda event: (event[0], -event[1]))
    cores: list[tuple[float, float]] = []
    depth = 0
    start = 0.0
    for x, change in events:
        was_core = depth > tolerance
        depth += change
        if not was_core and depth > tolerance:
            start = x
        elif was_core and depth <= tolerance:
            cores.append((start, x))
    if len(cores) < 2 and tolerance:
        return _column_cores_strict(rows)
    return cores or [(0.0, 0.0)]


def _column_cores_strict(rows: list[_Row]) -> list[tuple[float, float]]:
    spans = sorted((s.x0, s.x1) for row in rows for s in row.segments)
    cores: list[tuple[float, float]] = []
    for x0, x1 in spans:
        if cores and x0 <= cores[-1][1]:
            cores[-1] = (cores[-1][0], max(cores[-1][1], x1))
        else:
            cores.append((x0, x1))
    return cores


def _best_column(segment: _Segment, columns: list[tuple[float, float]]) -> int:
    def score(index: int) -> tuple[float, float]:
        x0, x1 = columns[index]
        overlap = min(segment.x1, x1) - max(segment.x0, x0)
        distance = max(x0 - segment.x1, segment.x0 - x1, 0.0)
        return (max(overlap, 0.0), -distance)

    return max(range(len(columns)), key=score)


def _merge_symbol_columns(grid: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    """Folds columns holding only currency signs below the header row into the next column, and
    columns holding only percent signs or closing brackets into the previous one; drops empty
    columns."""
    columns = [list(column) for column in zip(*grid, strict=True)] if grid else []
    merged: list[list[str]] = []
    carry: list[str] | None = None
    for column in columns:
        values = {cell for cell in column if cell}
        if not values:
            continue
        if carry is not None:
            column = [f"{c} {v}".strip() for c, v in zip(carry, column, strict=True)]
            carry = None
        body = {cell for cell in column[1:] if cell}
        if body and body <= _CURRENCY:
            carry = column
        elif merged and values <= {"%", ")", "%)"}:
            merged[-1] = [f"{p}{v}" for p, v in zip(merged[-1], column, strict=True)]
        else:
            merged.append(column)
    if carry is not None:
        merged.append(carry)
    return tuple(zip(*_merge_complementary(merged), strict=True)) if merged else ()


def _merge_complementary(columns: list[list[str]]) -> list[list[str]]:
    """Joins neighbouring columns that never both hold text in one row: a column title centred
    over right-aligned numbers lands beside them rather than above them."""
    merged: list[list[str]] = []
    for column in columns:
        previous = merged[-1] if merged else None
        if previous is not None and not any(a and b for a, b in zip(previous, column, strict=True)):
            merged[-1] = [a or b for a, b in zip(previous, column, strict=True)]
        else:
            merged.append(column)
    return merged


# Columns of prose ----------------------------------------------------------------------------


def _order_lines(rows: list[_Row], depth: int = 0) -> list[_Line]:
    """Lines in reading order: runs of rows split by a shared gutter are read column by column."""
    if not rows:
        return []
    left = min(row.segments[0].x0 for row in rows)
    right = max(row.segments[-1].x1 for row in rows)
    gutter = _gutter(rows) if depth < _MAX_COLUMN_DEPTH else None
    if gutter is None:
        return [_Line(_row_words(row), left, right) for row in rows]
    lines: list[_Line] = []
    run: list[_Row] = []
    for row in rows:
        if any(s.x0 < gutter < s.x1 for s in row.segments):
            lines.extend(_order_run(run, gutter, left, right, depth))
            run = []
            lines.append(_Line(_row_words(row), left, right))
        else:
            run.append(row)
    lines.extend(_order_run(run, gutter, left, right, depth))
    return lines


def _order_run(
    run: list[_Row], gutter: float, left: float, right: float, depth: int
) -> list[_Line]:
    left_rows = [part for row in run if (part := _part(row, lambda s: s.x1 <= gutter))]
    right_rows = [part for row in run if (part := _part(row, lambda s: s.x0 >= gutter))]
    if _is_prose_column(left_rows, left, gutter) and _is_prose_column(right_rows, gutter, right):
        return [*_order_lines(left_rows, depth + 1), *_order_lines(right_rows, depth + 1)]
    return [_Line(_row_words(row), left, right) for row in run]


def _part(row: _Row, keep: Callable[[_Segment], bool]) -> _Row | None:
    segments = [s for s in row.segments if keep(s)]
    return _Row(segments, row.top, row.bottom) if segments else None


def _is_prose_column(rows: list[_Row], left: float, right: float) -> bool:
    if len(rows) < _MIN_COLUMN_ROWS:
        return False
    width = right - left
    full = sum(
        1 for row in rows if row.segments[-1].x1 - row.segments[0].x0 >= _COLUMN_FILL * width
    )
    words = median(sum(len(s.words) for s in row.segments) for row in rows)
    return full >= _MIN_COLUMN_ROWS and words >= _MIN_COLUMN_WORDS


def _gutter(rows: list[_Row]) -> float | None:
    """The x position inside the gaps of the most rows, if enough rows share it."""
    events: list[tuple[float, int]] = []
    for row in rows:
        for before, after in zip(row.segments, row.segments[1:], strict=False):
            events.append((before.x1, 1))
            events.append((after.x0, -1))
    events.sort(key=lambda event: (event[0], event[1]))
    best_votes = 0
    best: float | None = None
    votes = 0
    for index, (x, change) in enumerate(events):
        votes += change
        if votes > best_votes and index + 1 < len(events):
            best_votes = votes
            best = (x + events[index + 1][0]) / 2
    return best if best_votes >= _MIN_COLUMN_ROWS else None


def _row_words(row: _Row) -> list[Word]:
    return [word for segment in row.segments for word in segment.words]


# Paragraphs ----------------------------------------------------------------------------------


def _paragraphs(lines: list[_Line]) -> list[TextBlock]:
    blocks: list[TextBlock] = []
    current: list[_Line] = []
    for line in lines:
        if current and _breaks_paragraph(current[-1], line):
            blocks.append(_text_block(current))
            current = []
        current.append(line)
    if current:
        blocks.append(_text_block(current))
    return blocks


def _line_size(line: _Line) -> float:
    return median(word.height for word in line.words)


def _line_bold(line: _Line) -> bool:
    chars = sum(len(word.text) for word in line.words)
    bold = sum(word.bold_chars for word in line.words)
    return bold >= _BOLD_SHARE * chars


def _breaks_paragraph(previous: _Line, line: _Line) -> bool:
    size_before, size = _line_size(previous), _line_size(line)
    gap = line.top - previous.bottom
    if gap > _PARAGRAPH_GAP * min(size_before, size) or gap < -0.5 * size:
        return True
    if abs(size - size_before) > _SIZE_CHANGE * max(size, size_before):
        return True
    if _line_bold(previous) != _line_bold(line):
        return True
    width = previous.column_x1 - previous.column_x0
    short = previous.words[-1].x1 - previous.column_x0 < _SHORT_LINE * width
    return short and previous.words[-1].text.endswith(_SENTENCE_END)


def _text_block(lines: list[_Line]) -> TextBlock:
    parts: list[str] = []
    length = 0
    hyphens: list[int] = []
    previous: _Line | None = None
    for line in lines:
        text = " ".join(word.text for word in line.words)
        if previous is not None:
            if _continues_word(parts[-1], text):
                hyphens.append(length - 1)
            else:
                parts.append(" " if _wraps(previous, line, text) else "\n")
                length += 1
        parts.append(text)
        length += len(text)
        previous = line
    words = [word for line in lines for word in line.words]
    chars = sum(len(word.text) for word in words)
    bold = sum(word.bold_chars for word in words)
    return TextBlock(
        text="".join(parts),
        size=median(word.height for word in words),
        bold=bold >= _BOLD_SHARE * chars,
        line_count=len(lines),
        line_end_hyphens=tuple(hyphens),
    )


def _continues_word(previous: str, text: str) -> bool:
    """A line ending in a hyphenated word part followed by a line starting in lower case."""
    return (
        len(previous) >= 2 and previous[-1] == "-" and previous[-2].isalpha() and text[:1].islower()
    )


def _wraps(previous: _Line, line: _Line, text: str) -> bool:
    """Whether ``line`` merely continues ``previous``, wrapped because its first word did not
    fit at the end of ``previous``. A list item always starts a line of its own, and so does
    a line after or before one with a wide gap inside (a label and its value)."""
    if _LIST_ITEM.match(text) or _has_wide_gap(previous) or _has_wide_gap(line):
        return False
    first = line.words[0]
    space = _SPACE_WIDTH * _line_size(previous)
    room = previous.column_x1 + _EDGE_TOLERANCE - previous.words[-1].x1
    return space + (first.x1 - first.x0) > room


def _has_wide_gap(line: _Line) -> bool:
    return any(
        after.x0 - before.x1 > _SEGMENT_GAP * max(before.height, after.height)
        for before, after in pairwise(line.words)
    )
