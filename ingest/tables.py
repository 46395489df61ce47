"""Tables as data: cells with their row label, column header, unit and scale.

Every parser renders a table as Markdown rows (see ``parsers.pagebuilder``), and a table chunk
carries those rows, repeated header included, with the headings right above it. Reading a
chunk back into cells lets the product look a value up by its row and column, cite the exact
cell, and compute with it. A table that does not read cleanly (no header, ragged rows, nothing
but text) is ``None``: it stays a text passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ingest.numbers import Quantity, read_number

_SPACED_YEAR = re.compile(r"\b[12] [09] \d \d\b")
_SEPARATOR_CELL = re.compile(r":?-{3,}:?")
_MARKUP = re.compile(r"\*\*|__|`|^#+\s*")
_ESCAPED_PIPE = "\x00"
_YEAR = re.compile(r"^(?:fy\s?)?(?:19|20)\d\d(?:[-/]\d\d)?$", re.IGNORECASE)
_UNIT_NOTE = re.compile(r"\bin (?:thousands|millions|billions)\b|[$€£]|%", re.IGNORECASE)
_SCALES = (
    ("billion", re.compile(r"\bbillions?\b|\bbn\b|\$\s?b\b", re.IGNORECASE)),
    ("million", re.compile(r"\bmillions?\b|\bmn\b|\b(?:USD|EUR|GBP)\s?m\b|[$€£]\s?m\b", re.I)),
    ("thousand", re.compile(r"\bthousands?\b|'000|[$€£]\s?000\b|[$€£]\s?k\b", re.I)),
)
_CURRENCIES = (
    ("USD", re.compile(r"\bUSD\b|US\$|\$|dollars?", re.IGNORECASE)),
    ("EUR", re.compile(r"\bEUR\b|€|euros?", re.IGNORECASE)),
    ("GBP", re.compile(r"\bGBP\b|£|pounds? sterling", re.IGNORECASE)),
)


UNIT_NOTE_WORDS = 16


def is_unit_note(text: str) -> bool:
    """Whether ``text`` is a short line that gives the unit of a table below it ("In millions
    of dollars, except per share data", "All amounts in USD m")."""
    return (
        len(text.split()) <= UNIT_NOTE_WORDS
        and "|" not in text
        and any(pattern.search(text) for _, pattern in _SCALES)
    )


@dataclass(frozen=True)
class Cell:
    """One value cell: its place (0-based body row and column), the row's label (with the
    section row above it, if any) and the column's header, its text and the number it holds."""

    row: int
    column: int
    row_label: str
    column_header: str
    text: str
    quantity: Quantity | None


@dataclass(frozen=True)
class Table:
    """A table read from Markdown rows.

    ``caption`` is the text right above the rows (headings, a title line); ``headers`` gives
    each column's header, header rows joined; ``rows`` are the body rows, first cell the label;
    ``sections`` gives, per body row, the label of the nearest label-only row above it.
    ``scale`` ("thousand", "million", "billion") and ``currency`` are read from the caption and
    headers; ``None`` when they say nothing.
    """

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    sections: tuple[str, ...]
    scale: str | None
    currency: str | None

    def cells(self) -> Iterator[Cell]:
        """Every non-label cell, row by row."""
        for r, row in enumerate(self.rows):
            label = self.row_label(r)
            for c in range(1, len(row)):
                if row[c]:
                    yield Cell(r, c, label, self.headers[c], row[c], read_number(row[c]))

    def row_label(self, row: int) -> str:
        """The row's own label, prefixed by its section when it has one."""
        label = self.rows[row][0]
        section = self.sections[row]
        return f"{section} {label}".strip() if section and section != label else label

    def cell(self, row: int, column: int) -> Cell:
        text = self.rows[row][column]
        return Cell(row, column, self.row_label(row), self.headers[column], text, read_number(text))


def _cells(line: str) -> list[str]:
    inner = line.strip().replace("\\|", _ESCAPED_PIPE)
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [_clean(cell.replace(_ESCAPED_PIPE, "|")) for cell in inner.split("|")]


def _clean(text: str) -> str:
    """Cell text without Markdown emphasis, on one line; a year whose digits a PDF spaced out
    ("2 0 1 8") is joined again."""
    text = " ".join(_MARKUP.sub("", text).split())
    return _SPACED_YEAR.sub(lambda m: m.group(0).replace(" ", ""), text)


def _is_separator(cells: Sequence[str]) -> bool:
    return bool(cells) and all(_SEPARATOR_CELL.fullmatch(c.replace(" ", "")) for c in cells if c)


def _is_header_like(row: Sequence[str]) -> bool:
    """A body row that continues the header: its value cells hold years, words or unit
    signs, never other figures, and its first cell is empty or a unit note such as "(In
    thousands)"; or, whatever its first cell says ("Assumptions"), its value cells name two
    years or more ("2019", "January 31, 2020") and nothing but years, words and unit signs."""
    values = [c for c in row[1:] if c]
    if not values or not all(_YEAR.match(c) or _names_column(c) for c in values):
        return False
    if sum(bool(_YEAR.match(c) or _MENTIONS_YEAR.search(c)) for c in values) >= 2:
        return True
    return not any(ch.isdigit() for ch in row[0]) and (
        not row[0] or row[0].startswith("(") or bool(_UNIT_NOTE.search(row[0]))
    )


def _names_column(text: str) -> bool:
    return (read_number(text) is None and _has_word(text)) or text in _UNIT_SIGNS


_MENTIONS_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_UNIT_SIGNS = frozenset({"$", "%", "€", "£", "¥", "US$", "$m", "%change", "% change"})


def _has_word(text: str) -> bool:
    return any(ch.isalpha() for ch in text) and text.lower() not in {"n/a", "nm", "na", "nil"}


def _join_headers(header_rows: Sequence[Sequence[str]], width: int) -> tuple[str, ...]:
    filled: list[list[str]] = []
    for row in header_rows:
        cells = list(row) + [""] * (width - len(row))
        # A header written once over several columns (a merged cell) covers the empty ones
        # to its right, unless it is the last header row (whose cells name single columns).
        if row is not header_rows[-1]:
            for c in range(2, width):
                if not cells[c]:
                    cells[c] = cells[c - 1]
        filled.append(cells)
    headers = []
    for c in range(width):
        parts = [row[c] for row in filled if row[c]]
        headers.append(" ".join(dict.fromkeys(parts)))
    return tuple(headers)


def _detect(patterns: Sequence[tuple[str, re.Pattern[str]]], text: str) -> str | None:
    return next((name for name, pattern in patterns if pattern.search(text)), None)


def read_table(text: str) -> Table | None:
    """The table in ``text`` (Markdown rows, optionally after caption lines), or ``None``
    when it is not a clean table with a header and at least one value row."""
    lines = text.strip().split("\n")
    first = next((i for i, line in enumerate(lines) if line.lstrip().startswith("|")), None)
    if first is None:
        return None
    caption = " ".join(_clean(line) for line in lines[:first] if line.strip())
    grid = [_cells(line) for line in lines[first:] if line.strip().startswith("|")]
    grid = [row for row in grid if not _is_separator(row)]
    width = max((len(row) for row in grid), default=0)
    if len(grid) < 2 or width < 2 or any(len(row) != width for row in grid):
        return None
    header_rows = [grid[0]]
    body = grid[1:]
    while body and _is_header_like(body[0]) and len(body) > 1:
        header_rows.append(body.pop(0))
    # A chunk cut from a long table repeats the header: drop repeats inside the body.
    body = [row for row in body if row != grid[0]]
    if not body:
        return None
    headers = _join_headers(header_rows, width)
    sections: list[str] = []
    section = ""
    for row in body:
        if row[0] and not any(row[1:]):
            section = row[0].rstrip(":")
        sections.append(section)
    described = f"{caption} {' '.join(headers)}".replace("_", " ")
    return Table(
        caption=caption,
        headers=headers,
        rows=tuple(tuple(row) for row in body),
        sections=tuple(sections),
        scale=_detect(_SCALES, described),
        currency=_detect(_CURRENCIES, described),
    )
