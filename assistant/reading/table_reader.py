"""Answering from table cells: the line item by its label, the value by its period header.

A question such as "What was total revenue in FY2025?" is answered by finding the row whose
label the question names and the column whose header names the period, and copying that cell
with a citation of its passage, row and column. A question that asks for a change, a percentage
change, an average or a sum is answered with a formula over the cited cells that the product
evaluates exactly (``expression.evaluate``), with the table's unit and scale. The reader answers
only when the match is unambiguous; otherwise it returns ``None`` and the language model drafts
the answer from the same passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from assistant.reading.expression import ExpressionError, evaluate
from assistant.reading.question import (
    GENERIC_TERMS,
    ItemPair,
    Operation,
    Period,
    QuestionFacts,
    periods_of,
    read_question,
    terms_of,
    unnamed_modifier,
    year_range,
)
from ingest.numbers import format_number
from ingest.tables import Cell, Table, read_table

MIN_LABEL_PRECISION = 0.75
GENERIC_WEIGHT = 0.25
"""Share of a row label's terms the question must name for the row to count as asked for."""

_SCALE_WORDS = {"thousand": "thousands", "million": "millions", "billion": "billions"}
_TRAILING_UNITS = re.compile(r"(?:\s+(?:usd|eur|gbp|m|mn|bn|k|pct))+$", re.IGNORECASE)
_QUARTERLY = re.compile(r"\bquarterly\b|\b(?:per|each|a) quarter\b", re.IGNORECASE)
_WHOLE_TERMS = frozenset({"total", "consolidated", "all", "group"})
_UNSCALED = re.compile(
    r"%|\bpercent|\bcents?\b|per share|\bratio\b|\bmargin\b|\brate\b|\bdays\b|\byield\b"
    r"|number of|headcount|employees|\beps\b|\(x\)|\btimes\b|\bpct\b"
)


_Point: TypeAlias = tuple[Period | None, Cell]
_Reply: TypeAlias = tuple[str, str | None, Decimal | None, str]


@dataclass(frozen=True)
class CitedCell:
    """A cell the answer uses and the number of the passage (1-based) that holds it."""

    passage: int
    cell: Cell

    @property
    def reference(self) -> str:
        return f"{self.cell.row_label}, {self.cell.column_header}".strip(", ")


@dataclass(frozen=True)
class TableReading:
    """An answer read from a table.

    ``cells`` are the cells used, in the order the question names them (in period order for
    a formula). ``label_precision`` is the share of the row label's terms the question names,
    ``overlap`` the number of them, and ``runner_up`` how closely the best other row that would
    give a different value rivals it (0 when none): together they say how sure the match is.
    ``confidence`` is the calibrated probability that the reading is right, once judged.
    """

    text: str
    value: str
    operation: Operation
    cells: tuple[CitedCell, ...]
    expression: str | None
    result: Decimal | None
    label_precision: float
    overlap: int
    runner_up: float
    confidence: float | None = None


@dataclass(frozen=True)
class _Series:
    """One line item of one table: its label and its values keyed by period (or header)."""

    sources: tuple[int, ...]
    table: Table
    label: str
    terms: frozenset[str]
    points: tuple[tuple[Period | None, Cell], ...]
    transposed: bool = False

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


def read_from_tables(question: str, passages: Sequence[str]) -> TableReading | None:
    """The answer to ``question`` read from the tables among ``passages`` (``passages[n - 1]``
    is passage ``[n]``), or ``None`` when no table answers it unambiguously."""
    facts = read_question(question)
    if not facts.terms:
        return None
    if facts.pair is not None:
        paired = _read_pair(facts, facts.pair, passages)
        if paired is not None:
            return paired
    ranked = _ranked_series(facts, passages)
    for position, (precision, overlap, series) in enumerate(ranked):
        points = _points_for(facts, series)
        if points is None:
            continue
        if _kinds_conflict(facts, series.table, [c for _, c in points]):
            continue
        named = series.terms.union(*(terms_of(c.column_header) for _, c in points))
        if unnamed_modifier(facts.question, named) is not None:
            continue
        reading = _answer(facts, series, points)
        if reading is None:
            continue
        runner_up = _runner_up(ranked[position + 1 :], facts, reading, overlap)
        if reading[1] is not None:
            points = sorted(points, key=lambda pc: pc[0] or Period(0))
        return TableReading(
            text=reading[0],
            value=reading[3],
            operation=facts.operation,
            cells=tuple(CitedCell(series.passage_of(cell), cell) for _, cell in points),
            expression=reading[1],
            result=reading[2],
            label_precision=precision,
            overlap=overlap,
            runner_up=runner_up,
        )
    return None


def _ranked_series(
    facts: QuestionFacts, passages: Sequence[str]
) -> list[tuple[float, int, _Series]]:
    candidates = [series for sourced in _tables(passages) for series in _series_of(*sourced)]
    return _rank(facts.terms, candidates)


def _tables(passages: Sequence[str]) -> list[tuple[Table, tuple[int, ...]]]:
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


def _rank(terms: frozenset[str], candidates: Sequence[_Series]) -> list[tuple[float, int, _Series]]:
    """The series whose label ``terms`` name, best match first (ties: the earlier passage)."""
    scored: list[tuple[float, int, int, _Series]] = []
    for series in candidates:
        shared = series.terms & terms
        if not series.terms or not shared:
            continue
        precision = _weight(shared) / _weight(series.terms)
        named = bool(shared - GENERIC_TERMS) or series.terms == terms
        if precision >= MIN_LABEL_PRECISION and named:
            scored.append((precision, len(shared), -series.passage, series))
    scored.sort(key=lambda item: item[:3], reverse=True)
    return [(precision, overlap, series) for precision, overlap, _, series in scored]


def _read_pair(
    facts: QuestionFacts, pair: ItemPair, passages: Sequence[str]
) -> TableReading | None:
    """Two line items of one table related by ``pair``'s operation, at the period the question
    names (or the only value column)."""
    if len(facts.periods) > 1:
        return None
    for table, sources in _tables(passages):
        series = _series_of(table, sources)
        first = _rank(terms_of(pair.first), series)
        second = _rank(terms_of(pair.second), series)
        if not first or not second or first[0][2] is second[0][2]:
            continue
        single = replace(facts, operation=Operation.LOOKUP)
        points = [_points_for(single, s) for _, _, s in (first[0], second[0])]
        if points[0] is None or points[1] is None or len(points[0]) != 1 or len(points[1]) != 1:
            continue
        (_, a), (_, b) = points[0][0], points[1][0]
        reply = _pair_answer(pair, first[0][2], second[0][2], a, b)
        if reply is None:
            continue
        rivals = [
            precision * min(1.0, shared / best[1])
            for ranked, best in ((first, first[0]), (second, second[0]))
            for precision, shared, s in ranked[1:2]
        ]
        return TableReading(
            text=reply[0],
            value=reply[3],
            operation=pair.operation,
            cells=(
                CitedCell(first[0][2].passage_of(a), a),
                CitedCell(second[0][2].passage_of(b), b),
            ),
            expression=reply[1],
            result=reply[2],
            label_precision=min(first[0][0], second[0][0]),
            overlap=min(first[0][1], second[0][1]),
            runner_up=max(rivals, default=0.0),
        )
    return None


def _pair_answer(
    pair: ItemPair, first: _Series, second: _Series, a: Cell, b: Cell
) -> _Reply | None:
    operands = (_operand(a), _operand(b))
    expression = {
        Operation.RATIO: "{} / {}",
        Operation.SHARE: "{} / {} * 100",
        Operation.DIFFERENCE: "{} - {}",
        Operation.TOTAL: "{} + {}",
    }[pair.operation].format(*operands)
    try:
        result = evaluate(expression)
    except ExpressionError:
        return None
    shown = format_number(result, places=2)
    if pair.operation is Operation.SHARE:
        suffix = "%"
    elif pair.operation is Operation.RATIO:
        suffix = ""
    else:
        suffix = _unit(first.table, [(None, a), (None, b)])
    where = first.where(None, a)
    text = (
        f"The {pair.operation.value} of {_display(first.label)} and {_display(second.label)} "
        f"in {where}: "
        f"{expression} = {shown}{suffix} {first.cite([a, b])}."
    )
    return text, expression, result, f"{shown}{suffix}"


def _weight(terms: frozenset[str]) -> float:
    """Terms counted for matching; a generic term ("total", "net") in a label counts a quarter,
    so "Total employees" is the row a question about employees asks for."""
    return sum(GENERIC_WEIGHT if t in GENERIC_TERMS else 1.0 for t in terms)


def _series_of(table: Table, sources: tuple[int, ...]) -> list[_Series]:
    """Line items of ``table``: rows keyed by their column's period (``None`` for a column
    that names none), or, when the periods run down the first column instead (a transposed
    table), columns keyed by their row's period."""
    header_periods = [_single_period(h) for h in table.headers]
    row_periods = [_single_period(row[0]) for row in table.rows]
    dated_columns = any(p is not None for p in header_periods[1:])
    if not dated_columns and sum(p is not None for p in row_periods) >= 2:
        return [
            _Series(
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
        _Series(
            sources,
            table,
            table.row_label(r),
            terms_of(table.row_label(r)),
            tuple(
                (header_periods[c], table.cell(r, c))
                for c in range(1, len(table.headers))
                if row[c]
            ),
        )
        for r, row in enumerate(table.rows)
    ]


def _single_period(text: str) -> Period | None:
    found = periods_of(text)
    return found[0] if len(found) == 1 else None


def _points_for(facts: QuestionFacts, series: _Series) -> list[_Point] | None:
    """The values of ``series`` the question asks about, or ``None`` when one is missing or the
    choice is ambiguous."""
    numeric = [(p, c) for p, c in series.points if c.quantity is not None]
    if not numeric:
        return None
    if facts.operation in {Operation.LARGEST_PERIOD, Operation.SMALLEST_PERIOD}:
        dated: list[_Point] = [(p, c) for p, c in numeric if p is not None]
        return dated if len(dated) >= 2 else None
    span = year_range(facts.question)
    if facts.operation in {Operation.AVERAGE, Operation.SUM} and span is not None:
        spanned: list[_Point] = [
            (p, c) for p, c in numeric if p is not None and span[0] <= p.year <= span[1]
        ]
        years = {p.year for p, _ in spanned if p is not None}
        if len(years) == len(spanned) == span[1] - span[0] + 1:
            return spanned
    if facts.operation in {Operation.AVERAGE, Operation.SUM} and len(facts.periods) == 1:
        quarters: list[_Point] = [
            (p, c)
            for p, c in numeric
            if p is not None and p.quarter and facts.periods[0] == Period(p.year)
        ]
        if len(quarters) >= 2 and len({p for p, _ in quarters}) == len(quarters):
            return quarters
        if _QUARTERLY.search(facts.question):
            return None  # quarterly figures asked for, and this item has none
    wanted_periods = facts.periods
    if facts.operation is Operation.AVERAGE and len(facts.periods) == 1:
        # The average of a balance "in 2019" is the mean of its opening and closing values,
        # as statements compute average balances: the 2018 and 2019 columns.
        year = facts.periods[0]
        wanted_periods = (Period(year.year - 1, year.quarter), year)
    if wanted_periods:
        chosen = []
        for wanted in wanted_periods:
            matches: list[_Point] = [
                (p, c) for p, c in numeric if p is not None and _same_period(p, wanted)
            ]
            pick = _pick_column(facts, matches)
            if pick is None:
                return None
            chosen.append(pick)
        return chosen
    if all(p is None for p, _ in numeric):
        named = [(p, c) for p, c in numeric if terms_of(c.column_header) & facts.terms]
        pool = named or [pc for pc in numeric if _names_whole(pc[1].column_header)] or numeric
        return pool if len(pool) == 1 else None
    in_periods: list[_Point] = [(p, c) for p, c in numeric if p is not None]
    return in_periods if facts.operation is Operation.LOOKUP or len(in_periods) == 2 else None


def _same_period(found: Period, wanted: Period) -> bool:
    return found.year == wanted.year and (wanted.quarter in {0, found.quarter})


def _pick_column(facts: QuestionFacts, matches: list[_Point]) -> tuple[Period | None, Cell] | None:
    """One of several columns for the same period: the one whose header the question names,
    else the whole-company column; ``None`` when that still leaves a choice."""
    if len(matches) <= 1:
        return matches[0] if matches else None
    named = [m for m in matches if terms_of(m[1].column_header) & facts.terms]
    if len(named) == 1:
        return named[0]
    whole = [m for m in matches if _names_whole(m[1].column_header)]
    if len(whole) == 1:
        return whole[0]
    exact = [m for m in matches if m[0] is not None and m[0].quarter == 0]
    return exact[0] if len(exact) == 1 else None


class _Kind(StrEnum):
    MONEY = "an amount of money"
    COUNT = "a count"
    PERCENT = "a percentage"


_QUESTION_KINDS = (
    (_Kind.COUNT, re.compile(r"\bhow many\b|\bnumber of\b|\bheadcount\b", re.I)),
    (_Kind.PERCENT, re.compile(r"\bpercent|%|\brate\b", re.I)),
    (_Kind.MONEY, re.compile(r"\bspen[dt]\b|\bpa(?:y|id)\b|\bcost\b|\$|\bdollars?\b", re.I)),
)
_COUNT_CONTEXT = re.compile(r"headcount|employees|number of|\bshares\b|\bcustomers\b", re.I)


def _kinds_conflict(facts: QuestionFacts, table: Table, cells: Sequence[Cell]) -> bool:
    """Whether a lookup asks for one kind of figure (money, a count, a percentage) and the
    cells hold another: "how much did it spend on research" is not answered by the research
    headcount."""
    if facts.operation not in {
        Operation.LOOKUP,
        Operation.LARGEST_PERIOD,
        Operation.SMALLEST_PERIOD,
    }:
        return False
    asked = next(
        (kind for kind, pattern in _QUESTION_KINDS if pattern.search(facts.question)), None
    )
    return asked is not None and any(
        (found := _cell_kind(table, cell)) is not None and found is not asked for cell in cells
    )


def _cell_kind(table: Table, cell: Cell) -> _Kind | None:
    if (cell.quantity is not None and cell.quantity.percent) or "%" in cell.column_header:
        return _Kind.PERCENT
    if _COUNT_CONTEXT.search(
        f"{table.caption} {table.headers[0]} {cell.row_label} {cell.column_header}"
    ):
        return _Kind.COUNT
    if table.currency is not None or "$" in cell.text:
        return _Kind.MONEY
    return None


def _names_whole(header: str) -> bool:
    return bool(set(header.lower().split()) & _WHOLE_TERMS)


def _runner_up(
    rest: Sequence[tuple[float, int, _Series]],
    facts: QuestionFacts,
    reading: _Reply,
    overlap: int,
) -> float:
    """How closely the best remaining row that would give another value rivals the chosen
    one: its precision, scaled down when it shares fewer of the question's terms."""
    best = 0.0
    for precision, shared, series in rest:
        points = _points_for(facts, series)
        if points is None:
            continue
        other = _answer(facts, series, points)
        if other is not None and other[2] != reading[2]:
            best = max(best, precision * min(1.0, shared / overlap))
    return best


def _answer(facts: QuestionFacts, series: _Series, points: list[_Point]) -> _Reply | None:
    """The answer sentence, the formula it shows (if any), its value, and the value as the
    answer states it (a cell's text, a computed figure or a period)."""
    unit = _unit(series.table, points)
    cite = series.cite([c for _, c in points])
    label = _display(series.label)
    if facts.operation in {Operation.LARGEST_PERIOD, Operation.SMALLEST_PERIOD}:
        pick = (max if facts.operation is Operation.LARGEST_PERIOD else min)(
            points, key=lambda pc: _value(pc[1])
        )
        listed = ", ".join(f"{c.text} in {series.where(p, c)}" for p, c in points)
        text = f"{label} was {_word(facts.operation)} in {pick[0]} ({listed}{unit}) {cite}."
        return text, None, _value(pick[1]), str(pick[0])
    if facts.operation is Operation.LOOKUP or len(points) < 2:
        if facts.operation is not Operation.LOOKUP:
            return None
        values = " and ".join(f"{c.text} in {series.where(p, c)}" for p, c in points)
        stated = " and ".join(c.text for _, c in points)
        return f"{label} was {values}{unit} {cite}.", None, _value(points[0][1]), stated
    ordered = sorted(points, key=lambda pc: pc[0] or Period(0))
    numbers = [_operand(c) for _, c in ordered]
    if facts.operation is Operation.CHANGE:
        expression = f"{numbers[-1]} - {numbers[0]}"
    elif facts.operation is Operation.PERCENT_CHANGE:
        expression = f"({numbers[-1]} - {numbers[0]}) / {numbers[0]} * 100"
    elif facts.operation is Operation.AVERAGE:
        expression = f"({' + '.join(numbers)}) / {len(numbers)}"
    else:
        expression = " + ".join(numbers)
    try:
        result = evaluate(expression)
    except ExpressionError:
        return None
    shown = format_number(result, places=2)
    suffix = "%" if facts.operation is Operation.PERCENT_CHANGE else unit
    wheres = [series.where(p, c) for p, c in ordered]
    if facts.operation in {Operation.CHANGE, Operation.PERCENT_CHANGE}:
        span = f"from {wheres[0]} to {wheres[-1]}"
    else:
        span = "for " + " and ".join(wheres)
    text = f"The {facts.operation.value} in {label} {span}: {expression} = {shown}{suffix} {cite}."
    return text, expression, result, f"{shown}{suffix}"


def _word(operation: Operation) -> str:
    return "largest" if operation is Operation.LARGEST_PERIOD else "smallest"


def _display(label: str) -> str:
    """A label as an answer names it: a field name such as "revenue_usd_m" becomes "revenue"."""
    words = label.replace("_", " ")
    return _TRAILING_UNITS.sub("", words) or words


def _value(cell: Cell) -> Decimal:
    return cell.quantity.value if cell.quantity is not None else Decimal(0)


def _operand(cell: Cell) -> str:
    value = _value(cell)
    text = format_number(value)
    return f"({text})" if value < 0 else text


def _unit(table: Table, points: Sequence[_Point]) -> str:
    """The currency and scale that apply to the values, unless they are percentages, ratios
    or per-share figures, which a table's "in millions" does not scale."""
    described = " ".join(f"{c.row_label} {c.column_header}" for _, c in points)
    described = described.lower().replace("_", " ")
    if _UNSCALED.search(described) or any(
        c.quantity is not None and c.quantity.percent for _, c in points
    ):
        return ""
    parts = [table.currency or "", _SCALE_WORDS.get(table.scale or "", "")]
    words = " ".join(p for p in parts if p)
    return f" ({words})" if words else ""
