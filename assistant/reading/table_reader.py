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

from assistant.reading.kinds import kinds_conflict
from assistant.reading.question import (
    ItemPair,
    Operation,
    Period,
    QuestionFacts,
    operations_named,
    read_question,
    terms_of,
    unnamed_modifier,
    year_range,
)
from assistant.reading.series import Point, Series, rank, series_of, tables_in
from assistant.reading.table_lists import is_list_question, listing_sentence, read_listing
from assistant.reading.wording import Reply, answer_sentence, pair_sentence
from ingest.tables import Cell

_QUARTERLY = re.compile(r"\bquarterly\b|\b(?:per|each|a) quarter\b", re.IGNORECASE)

_WHOLE_TERMS = frozenset({"total", "consolidated", "all", "group"})
_NOT_ONE_CELL = re.compile(
    r"\bdefined?\b|\bless\b|\bminus\b|\bplus\b|\+"
    r"|\bwhich\b.*\b(?:most|least|largest|smallest|highest|lowest|greatest)\b",
    re.IGNORECASE,
)
"""What a lookup cannot answer: a formula the question spells out ("EBITDA less capex", "define
X as A + B"), or which of several items is largest."""
_ASKS_WHY = re.compile(r"\bwhy\b|\breasons?\b|\bcaus(?:e|es|ed)\b|\bexplain", re.IGNORECASE)
"""A question for a reason or a cause: words answer it, not a cell or a computation."""
_NESTED = (Operation.AVERAGE, Operation.CHANGE)
"""Asked together ("the change in the average ..."), a computation over computations, which the
reader does not do; answering one of them would answer another question."""


def _without_label(question: str, series: Series) -> str:
    """``question`` with the line item's label taken out: in "the change in the average
    invested capital" the word "average" names the row "Average invested capital"."""
    for label in {series.label, series.own_label} - {""}:
        question = re.sub(re.escape(label), " ", question, flags=re.IGNORECASE)
    return question


def _operation_of(facts: QuestionFacts, rest: str) -> QuestionFacts:
    """``facts`` with the operation ``rest``, the question without the line item's label,
    asks for."""
    if rest == facts.question:
        return facts
    operation = read_question(rest).operation
    return facts if operation is facts.operation else replace(facts, operation=operation)


def _nested(rest: str) -> bool:
    """Whether ``rest``, the question without the line item's label, asks for an average and a
    change at once."""
    named = operations_named(rest)
    return all(op in named for op in _NESTED)


@dataclass(frozen=True)
class CitedCell:
    """A cell the answer uses and the number of the passage (1-based) that holds it."""

    passage: int
    cell: Cell


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


def read_from_tables(question: str, passages: Sequence[str]) -> TableReading | None:
    """The answer to ``question`` read from the tables among ``passages`` (``passages[n - 1]``
    is passage ``[n]``), or ``None`` when no table answers it unambiguously."""
    facts = read_question(question)
    if not facts.terms or _ASKS_WHY.search(question):
        return None
    per_table = [series_of(*sourced) for sourced in tables_in(passages)]
    if is_list_question(facts):
        return _read_listing(facts, per_table)
    if facts.pair is None:
        return _read_item(facts, per_table)
    paired = _read_pair(facts, facts.pair, per_table)
    if paired is not None or facts.pair.operation is not Operation.SHARE:
        # Two items related and not both found: one of them alone answers another question.
        return paired
    # A share the table states itself ("% of revenue" rows) is read as it stands.
    stated = [[s for s in items if _in_percent(s)] for items in per_table]
    return _read_item(facts, stated)


def _read_listing(
    facts: QuestionFacts, per_table: Sequence[Sequence[Series]]
) -> TableReading | None:
    listing = read_listing(facts, per_table)
    if listing is None:
        return None
    cited = tuple(CitedCell(listing.series.passage_of(c), c) for c in listing.cells)
    text, value = listing_sentence(facts, listing, listing.series.cite(listing.cells))
    return TableReading(
        text=text,
        value=value,
        operation=listing.operation,
        cells=cited,
        expression=None,
        result=None,
        label_precision=listing.precision,
        overlap=listing.overlap,
        runner_up=0.0,
    )


def _in_percent(series: Series) -> bool:
    return all(c.quantity is None or c.quantity.percent for _, c in series.points)


def _read_item(facts: QuestionFacts, per_table: Sequence[Sequence[Series]]) -> TableReading | None:
    """The reading of the one line item the question names best that answers it."""
    if facts.operation is Operation.LOOKUP and _NOT_ONE_CELL.search(facts.question):
        return None
    ranked = rank(facts.terms, [series for items in per_table for series in items])
    asked = facts
    for position, (precision, overlap, series) in enumerate(ranked):
        rest = _without_label(asked.question, series)
        facts = _operation_of(asked, rest)
        points = _points_for(facts, series)
        if points is None:
            continue
        if kinds_conflict(facts, series.table, [c for _, c in points]):
            continue
        named = series.terms.union(*(terms_of(c.column_header) for _, c in points))
        if unnamed_modifier(facts.question, named) is not None:
            continue
        if _nested(rest):
            return None
        reading = answer_sentence(facts, series, points)
        if reading is None:
            continue
        runner_up = _runner_up(ranked[position + 1 :], asked, reading, overlap)
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


def _read_pair(
    facts: QuestionFacts, pair: ItemPair, per_table: Sequence[Sequence[Series]]
) -> TableReading | None:
    """Two line items of one table (``per_table`` holds each table's line items) related by
    ``pair``'s operation, at the period the question names (or the only value column)."""
    if len(facts.periods) > 1:
        return None
    for series in per_table:
        first = rank(terms_of(pair.first), series)
        second = rank(terms_of(pair.second), series)
        if not first or not second or first[0][2] is second[0][2]:
            continue
        single = replace(facts, operation=Operation.LOOKUP)
        points = [_points_for(single, s) for _, _, s in (first[0], second[0])]
        if points[0] is None or points[1] is None or len(points[0]) != 1 or len(points[1]) != 1:
            continue
        (_, a), (_, b) = points[0][0], points[1][0]
        reply = pair_sentence(pair, first[0][2], second[0][2], a, b)
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


def _points_for(facts: QuestionFacts, series: Series) -> list[Point] | None:
    """The values of ``series`` the question asks about, or ``None`` when one is missing or the
    choice is ambiguous."""
    numeric = [(p, c) for p, c in series.points if c.quantity is not None]
    if not numeric:
        return None
    if facts.operation in {Operation.LARGEST_PERIOD, Operation.SMALLEST_PERIOD}:
        dated: list[Point] = [(p, c) for p, c in numeric if p is not None]
        return dated if len(dated) >= 2 else None
    span = year_range(facts.question)
    if facts.operation in {Operation.AVERAGE, Operation.SUM} and span is not None:
        spanned: list[Point] = [
            (p, c) for p, c in numeric if p is not None and span[0] <= p.year <= span[1]
        ]
        years = {p.year for p, _ in spanned if p is not None}
        if len(years) == len(spanned) == span[1] - span[0] + 1:
            return spanned
    if facts.operation in {Operation.AVERAGE, Operation.SUM} and len(facts.periods) == 1:
        quarters: list[Point] = [
            (p, c)
            for p, c in numeric
            if p is not None and p.quarter and facts.periods[0] == Period(p.year)
        ]
        if len(quarters) >= 2 and len({p for p, _ in quarters}) == len(quarters):
            return quarters
        if _QUARTERLY.search(facts.question):
            return None  # quarterly figures asked for, and this item has none
    wanted_periods = facts.periods
    if facts.operation is Operation.LOOKUP and span is not None and len(facts.periods) == 2:
        # "for fiscal years 2019 to 2017 respectively": every year of the span, as ordered.
        every = list(range(span[0], span[1] + 1))
        ordered = every if facts.periods[0].year == span[0] else every[::-1]
        wanted_periods = tuple(Period(year) for year in ordered)
    if facts.operation is Operation.AVERAGE and len(facts.periods) == 1:
        # The average of a balance "in 2019" is the mean of its opening and closing values,
        # as statements compute average balances: the 2018 and 2019 columns.
        year = facts.periods[0]
        wanted_periods = (Period(year.year - 1, year.quarter), year)
    if wanted_periods:
        chosen = []
        for wanted in wanted_periods:
            matches: list[Point] = [
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
    if facts.operation is Operation.LOOKUP:
        # "as reported", "without the adoption": the one column whose heading the question
        # names, beyond the words of the row itself.
        headed = [
            (p, c) for p, c in numeric if (terms_of(c.column_header) - series.terms) & facts.terms
        ]
        if len(headed) == 1:
            return headed
    in_periods: list[Point] = [(p, c) for p, c in numeric if p is not None]
    if facts.operation in {Operation.AVERAGE, Operation.SUM}:
        # No period named: over every period the item has, one value each.
        distinct = len({p for p, _ in in_periods}) == len(in_periods) >= 2
        return in_periods if distinct else None
    return in_periods if facts.operation is Operation.LOOKUP or len(in_periods) == 2 else None


def _same_period(found: Period, wanted: Period) -> bool:
    return found.year == wanted.year and (wanted.quarter in {0, found.quarter})


def _pick_column(facts: QuestionFacts, matches: list[Point]) -> tuple[Period | None, Cell] | None:
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


def _names_whole(header: str) -> bool:
    return bool(set(header.lower().split()) & _WHOLE_TERMS)


def _runner_up(
    rest: Sequence[tuple[float, int, Series]],
    facts: QuestionFacts,
    reading: Reply,
    overlap: int,
) -> float:
    """How closely the best remaining row that would give another value rivals the chosen
    one: its precision, scaled down when it shares fewer of the question's terms."""
    best = 0.0
    for precision, shared, series in rest:
        points = _points_for(facts, series)
        if points is None:
            continue
        other = answer_sentence(facts, series, points)
        if other is not None and other[2] != reading[2]:
            best = max(best, precision * min(1.0, shared / overlap))
    return best
