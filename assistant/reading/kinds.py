"""What kind of figure a question asks for, and whether the cells found are of that kind.

"How much did it spend on research?" asks for money; the research headcount, though its row
label matches, is a count and does not answer it. A lookup whose cells are of another kind
(money, a count, a percentage) than the question asks for is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from assistant.reading.question import Operation, QuestionFacts
from ingest.tables import Cell, Table


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


def kinds_conflict(facts: QuestionFacts, table: Table, cells: Sequence[Cell]) -> bool:
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
