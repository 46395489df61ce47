"""The sentence an answer read from a table says: the value with where it stands, or the
formula over the cited cells with its exact result, the unit and scale, and the citations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeAlias

from assistant.reading.expression import ExpressionError, evaluate
from assistant.reading.question import ItemPair, Operation, Period, QuestionFacts
from assistant.reading.series import Point, Series
from ingest.numbers import format_number
from ingest.tables import Cell, Table

Reply: TypeAlias = tuple[str, str | None, Decimal | None, str]
"""The answer sentence, the formula it shows (if any), its value, and the value as stated."""

_SCALE_WORDS = {"thousand": "thousands", "million": "millions", "billion": "billions"}

_TRAILING_UNITS = re.compile(r"(?:\s+(?:usd|eur|gbp|m|mn|bn|k|pct))+$", re.IGNORECASE)

_UNSCALED = re.compile(
    r"%|\bpercent|\bcents?\b|per share|\bratio\b|\bmargin\b|\brate\b|\bdays\b|\byield\b"
    r"|number of|headcount|employees|\beps\b|\(x\)|\btimes\b|\bpct\b"
)


def answer_sentence(facts: QuestionFacts, series: Series, points: list[Point]) -> Reply | None:
    """The reply to a question over one line item's ``points``; ``None`` when its operation
    needs values the points do not give."""
    unit = _unit(series.table, points)
    cite = series.cite([c for _, c in points])
    label = display(series.name)
    if facts.operation in {Operation.LARGEST_PERIOD, Operation.SMALLEST_PERIOD}:
        pick = (max if facts.operation is Operation.LARGEST_PERIOD else min)(
            points, key=lambda pc: cell_value(pc[1])
        )
        listed = ", ".join(f"{c.text} in {series.where(p, c)}" for p, c in points)
        text = f"{label} was {_word(facts.operation)} in {pick[0]} ({listed}{unit}) {cite}."
        return text, None, cell_value(pick[1]), str(pick[0])
    if facts.operation is Operation.LOOKUP or len(points) < 2:
        if facts.operation is not Operation.LOOKUP:
            return None
        values = " and ".join(f"{c.text} in {_when(facts, series, p, c)}" for p, c in points)
        stated = " and ".join(c.text for _, c in points)
        return f"{label} was {values}{unit} {cite}.", None, cell_value(points[0][1]), stated
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


def pair_sentence(pair: ItemPair, first: Series, second: Series, a: Cell, b: Cell) -> Reply | None:
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
        f"The {pair.operation.value} of {display(first.name)} and {display(second.name)} "
        f"in {where}: "
        f"{expression} = {shown}{suffix} {first.cite([a, b])}."
    )
    return text, expression, result, f"{shown}{suffix}"


def _when(facts: QuestionFacts, series: Series, period: Period | None, cell: Cell) -> str:
    """Where a copied value stands: the column (or row) as the table heads it, or just its
    period when the question names periods and the heading says more ("Year ended March 31,
    2018 (dollars in thousands)" is "2018")."""
    where = series.where(period, cell)
    if facts.periods and period is not None and len(where.split()) > 2:
        return str(period)
    return where


def _word(operation: Operation) -> str:
    return "largest" if operation is Operation.LARGEST_PERIOD else "smallest"


def display(label: str) -> str:
    """A label as an answer names it: a field name such as "revenue_usd_m" becomes "revenue"."""
    words = label.replace("_", " ")
    return _TRAILING_UNITS.sub("", words) or words


def cell_value(cell: Cell) -> Decimal:
    return cell.quantity.value if cell.quantity is not None else Decimal(0)


def _operand(cell: Cell) -> str:
    value = cell_value(cell)
    text = format_number(value)
    return f"({text})" if value < 0 else text


def _unit(table: Table, points: Sequence[Point]) -> str:
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
