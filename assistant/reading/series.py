"""Line items of tables and how well a question names them.

A table among the passages becomes line items: for an ordinary table each row, with its values
keyed by the period its column names; for a transposed one (periods down the first column, as in
a quarterly CSV) each column, keyed by its row's period. Pieces of one table split across
passages are read as one table, each row remembering the passage it came from, so an answer
cites every piece it uses. A line item counts as named by a question when the question holds
enough of its label's terms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeAlias

from assistant.reading.question import GENERIC_TERMS, Period, periods_of, terms_of
from ingest.tables import Cell, Table, read_table

MIN_LABEL_PRECISION = 0.75
"""Share of a row label's terms the question must name for the row to count as asked for."""
GENERIC_WEIGHT = 0.25
"""How much a generic term ("total", "net") of a label counts towards that share."""

Point: TypeAlias = tuple[Period | None, Cell]


@dataclass(frozen=True)
class Series:
    """One line item of one table: its label and its values keyed by period (or header).

    ``terms`` are those of the label with its section ("Deferred tax assets: Other"),
    ``own_terms`` those of the row's own label ("Other")."""

    sources: tuple[int, ...]
    table: Table
    label: str
    terms: frozenset[str]
    points: tuple[tuple[Period | None, Cell], ...]
    transposed: bool = False
    own_terms: frozenset[str] = frozenset()
    own_label: str = ""

    @property
    def name(self) -> str:
        """How an answer names the line item: its own label, with its section only when the
        label alone is generic ("Deferred tax liabilities Other")."""
        if self.own_label and self.own_terms - GENERIC_TERMS:
            return self.own_label
        return self.label

    @property
    def passage(self) -> int:
        """The first passage that holds part of the table."""
        return min(self.sources)

    def passage_of(self, cell: Cell) -> int:
        return self.sources[cell.row]

    def cite(self, cells: Sequence[Cell]) -> str:
        return "".join(f"[{n}]" for n in sorted({self.passage_of(c) for c in cells}))

    def where(self, period: Period | None, cell: Cell) -> str:
        """How the table names the period (or column) of ``cell``."""
        if self.transposed:
            return cell.row_label
        return cell.column_header or str(period)


def tables_in(passages: Sequence[str]) -> list[tuple[Table, tuple[int, ...]]]:
    """The tables among ``passages``, each with the passage number of each of its body rows.
    Pieces of one table split across passages (the same headers) are read as one table."""
    tables: list[tuple[Table, tuple[int, ...]]] = []
    for number, text in enumerate(passages, start=1):
        table = read_table(text)
        if table is None:
            continue
        same = next((i for i, (t, _) in enumerate(tables) if t.headers == table.headers), None)
        if same is None:
            tables.append((table, (number,) * len(table.rows)))
            continue
        whole, sources = tables[same]
        fresh = [r for r, row in enumerate(table.rows) if row not in whole.rows]
        tables[same] = (
            replace(
                whole,
                rows=whole.rows + tuple(table.rows[r] for r in fresh),
                sections=whole.sections + tuple(table.sections[r] for r in fresh),
            ),
            sources + (number,) * len(fresh),
        )
    return tables


def rank(terms: frozenset[str], candidates: Sequence[Series]) -> list[tuple[float, int, Series]]:
    """The series whose label ``terms`` name, best match first (ties: the earlier passage).
    A row counts as named when the question names enough of its label with its section or of
    its own label alone: a question need not repeat the section heading a row sits under."""
    scored: list[tuple[float, int, int, Series]] = []
    for series in candidates:
        shared = series.terms & terms
        if not series.terms or not shared:
            continue
        precision = weight(shared) / weight(series.terms)
        own_shared = series.own_terms & terms
        if own_shared:
            precision = max(precision, weight(own_shared) / weight(series.own_terms))
        named = bool(shared - GENERIC_TERMS) or series.terms == terms
        if precision >= MIN_LABEL_PRECISION and named:
            scored.append((precision, len(shared), -series.passage, series))
    scored.sort(key=lambda item: item[:3], reverse=True)
    return [(precision, overlap, series) for precision, overlap, _, series in scored]


def weight(terms: frozenset[str]) -> float:
    """Terms counted for matching; a generic term ("total", "net") in a label counts a quarter,
    so "Total employees" is the row a question about employees asks for."""
    return sum(GENERIC_WEIGHT if t in GENERIC_TERMS else 1.0 for t in terms)


def series_of(table: Table, sources: tuple[int, ...]) -> list[Series]:
    """Line items of ``table``: rows keyed by their column's period (``None`` for a column
    that names none), or, when the periods run down the first column instead (a transposed
    table), columns keyed by their row's period."""
    header_periods = [single_period(h) for h in table.headers]
    row_periods = [single_period(row[0]) for row in table.rows]
    dated_columns = any(p is not None for p in header_periods[1:])
    if not dated_columns and sum(p is not None for p in row_periods) >= 2:
        return [
            Series(
                sources,
                table,
                table.headers[c],
                terms_of(f"{table.headers[0]} {table.headers[c]}"),
                tuple(
                    (row_periods[r], table.cell(r, c))
                    for r in range(len(table.rows))
                    if row_periods[r] is not None and table.rows[r][c]
                ),
                transposed=True,
            )
            for c in range(1, len(table.headers))
        ]
    return [
        Series(
            sources,
            table,
            table.row_label(r),
            terms_of(table.row_label(r)),
            tuple(
                (header_periods[c], table.cell(r, c))
                for c in range(1, len(table.headers))
                if row[c]
            ),
            own_terms=terms_of(row[0]),
            own_label=row[0],
        )
        for r, row in enumerate(table.rows)
    ]


def single_period(text: str) -> Period | None:
    found = periods_of(text)
    return found[0] if len(found) == 1 else None
