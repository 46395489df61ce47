"""Answers that list or count what a table holds rather than read one value.

Three kinds of question are answered here: which periods a table (or one of its line items)
covers ("Which years does the table show?"), in which periods a line item passes a threshold
("Which years did net sales exceed $200,000 thousand?"), and which line items a section of a
table lists ("What are the components of deferred tax liabilities?"). Each has a "how many"
form answered with the count. The answer cites the cells it rests on, like any reading.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from assistant.reading.question import Operation, Period, QuestionFacts, terms_of
from assistant.reading.series import Series, rank, single_period
from assistant.reading.wording import cell_value
from ingest.tables import Cell

_PERIOD_WORDS = r"(?:financial\s+|fiscal\s+)?(?:years?|periods?|dates?)"
_THRESHOLD = re.compile(
    rf"\b(?:which|what|how\s+many)\s+{_PERIOD_WORDS}\b.*?\b(?P<op>exceed(?:ed|s)?|"
    r"(?:was|were|is|are)?\s*(?:greater|more|higher|larger|less|lower|smaller)\s+than|above|"
    r"below|over|under)\s*\$?\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>thousand|million|"
    r"billion|%)?",
    re.IGNORECASE,
)
_PLURAL_PERIODS = r"(?:financial\s+|fiscal\s+)?(?:years|periods|dates)"
_PERIODS = re.compile(
    rf"\b(?:which|what)\s+{_PLURAL_PERIODS}(?:'|’)?\s+(?:does|do|are|were|information)\b"
    rf"|\b(?:what|which)\s+(?:are|were)\s+the\s+{_PLURAL_PERIODS}\s+(?:included|shown|covered)"
    rf"|\b(?:in|for)\s+which\s+{_PERIOD_WORDS}(?:\(s\))?\s+(?:was|were|is|are)\b.*\b(?:calculated|shown|"
    r"reported|provided|presented|given|recorded|listed|disclosed|included)\b"
    rf"|\bhow\s+many\s+{_PLURAL_PERIODS}\s+(?:are|were|does|do)\b",
    re.IGNORECASE,
)
_ITEMS = re.compile(
    r"\b(?:what|which)\s+(?:are|were)\s+the\s+(?:components|items|types|categories|elements|"
    r"line\s+items)\b|\bhow\s+many\s+(?:components|items|types|categories|elements|"
    r"line\s+items)\b",
    re.IGNORECASE,
)
_HOW_MANY = re.compile(r"\bhow\s+many\b", re.IGNORECASE)
_BELOW = re.compile(r"less|lower|smaller|below|under", re.IGNORECASE)
_SCALE_FACTORS = {"thousand": Decimal(10**3), "million": Decimal(10**6), "billion": Decimal(10**9)}
_TOTAL = re.compile(r"^\s*(?:total|sub-?total|less)\b", re.IGNORECASE)
_NET = re.compile(r"^\s*(?:net|gross)\b", re.IGNORECASE)
_COMPARED = re.compile(r"\bexceed|\b(?:greater|more|less|fewer)\s+than\b", re.IGNORECASE)


@dataclass(frozen=True)
class Listing:
    """What a list question found: the words listed, the cells they rest on, and how well
    the question named the line item or section (share of its terms, terms shared)."""

    operation: Operation
    listed: tuple[str, ...]
    cells: tuple[Cell, ...]
    series: Series
    precision: float
    overlap: int


def is_list_question(facts: QuestionFacts) -> bool:
    """Whether the question asks what a table lists or counts rather than for a value ("in
    which year was it larger" asks for one period, unless it names a figure to pass)."""
    if _THRESHOLD.search(facts.question):
        return True
    if facts.operation in {Operation.LARGEST_PERIOD, Operation.SMALLEST_PERIOD}:
        return False
    return any(p.search(facts.question) for p in (_PERIODS, _ITEMS))


def read_listing(facts: QuestionFacts, per_table: Sequence[Sequence[Series]]) -> Listing | None:
    """The answer to a list question over the tables' line items, or ``None`` when the tables
    do not answer it unambiguously."""
    question = facts.question
    if (threshold := _THRESHOLD.search(question)) is not None:
        return _periods_past(facts, threshold, per_table)
    if _PERIODS.search(question):
        return _periods_of(facts, per_table)
    if _ITEMS.search(question):
        return _items_in(facts, per_table)
    return None


def _periods_of(facts: QuestionFacts, per_table: Sequence[Sequence[Series]]) -> Listing | None:
    """The periods of the line item the question names, else of the first table's columns."""
    terms = facts.terms - {"table", "information", "show", "shown", "provide", "calculated"}
    ranked = rank(terms, [s for items in per_table for s in items]) if terms else []
    if ranked:
        precision, overlap, series = ranked[0]
    else:
        with_values = [s for items in per_table[:1] for s in items if s.points]
        if not with_values:
            return None
        precision, overlap, series = 1.0, 0, with_values[0]
    dated = _dated_columns(series)
    if len(dated) < 2:
        return None
    return Listing(
        Operation.PERIODS,
        tuple(str(p) for p, _ in dated),
        tuple(c for _, c in dated if c is not None),
        series,
        precision,
        overlap,
    )


def _dated_columns(series: Series) -> list[tuple[Period, Cell | None]]:
    """Each period a table's columns name once, with the line item's cell there (if any)."""
    cells = {c.column: c for _, c in series.points}
    found: list[tuple[Period, Cell | None]] = []
    for column, header in enumerate(series.table.headers[1:], start=1):
        period = single_period(header)
        if period is not None and all(period != p for p, _ in found):
            found.append((period, cells.get(column)))
    return found


def _periods_past(
    facts: QuestionFacts, match: re.Match[str], per_table: Sequence[Sequence[Series]]
) -> Listing | None:
    """The periods in which the named line item is above (or below) the question's figure."""
    terms = terms_of(facts.question[: match.start("op")]) - {"amount"}  # the line item's words
    ranked = rank(terms or facts.terms, [s for items in per_table for s in items])
    if not ranked:
        return None
    precision, overlap, series = ranked[0]
    try:
        limit = Decimal(match.group("number").replace(",", ""))
    except InvalidOperation:
        return None
    scale = (match.group("scale") or "").lower()
    if scale in _SCALE_FACTORS and series.table.scale in _SCALE_FACTORS:
        limit = limit * _SCALE_FACTORS[scale] / _SCALE_FACTORS[series.table.scale]
    below = bool(_BELOW.search(match.group("op")))
    in_percent = scale == "%"
    dated = [
        (p, c)
        for p, c in series.points
        if p is not None and c.quantity is not None and c.quantity.percent == in_percent
    ]
    if len(dated) < 2 or len({p for p, _ in dated}) < len(dated):
        return None
    passing = [
        (p, c) for p, c in dated if (cell_value(c) < limit if below else cell_value(c) > limit)
    ]
    return Listing(
        Operation.PERIODS_PAST,
        tuple(str(p) for p, _ in passing),
        tuple(c for _, c in dated),
        series,
        precision,
        overlap,
    )


def _items_in(facts: QuestionFacts, per_table: Sequence[Sequence[Series]]) -> Listing | None:
    """The rows of the section the question names (totals left out)."""
    if _COMPARED.search(facts.question):
        return None  # "how many components exceeded ...": a comparison per row, not a list
    best: tuple[float, int, list[Series]] | None = None
    for items in per_table:
        sections: dict[str, list[Series]] = {}
        for series in items:
            section = series.table.sections[series.points[0][1].row] if series.points else ""
            if section and not series.transposed:
                sections.setdefault(section, []).append(series)
        for section, members in sections.items():
            section_terms = terms_of(section)
            shared = section_terms & facts.terms
            if not section_terms or not shared:
                continue
            precision = len(shared) / len(section_terms)
            parts = [s for s in members if not _sums_section(s, section_terms)]
            if precision >= 0.75 and len(parts) >= 2 and (best is None or precision > best[0]):
                best = (precision, len(shared), parts)
    if best is None:
        return None
    precision, overlap, parts = best
    return Listing(
        Operation.ITEMS,
        tuple(s.own_label or s.label for s in parts),
        tuple(s.points[0][1] for s in parts),
        parts[0],
        precision,
        overlap,
    )


def _sums_section(series: Series, section_terms: frozenset[str]) -> bool:
    """Whether a row totals its section ("Total ...", "Less ...", or "Gross deferred tax
    assets" under "Deferred tax assets") rather than being one of its items."""
    label = series.own_label or series.label
    if _TOTAL.match(label):
        return True
    return bool(_NET.match(label)) and bool(series.own_terms & section_terms)


def listing_sentence(facts: QuestionFacts, listing: Listing, cite: str) -> tuple[str, str]:
    """The answer sentence and the value it states: the list, or its count for "how many"."""
    listed = _joined(listing.listed) if listing.listed else "none"
    if _HOW_MANY.search(facts.question):
        count = str(len(listing.listed))
        return f"{count} ({listed}) {cite}.", count
    return f"{listed} {cite}.", listed


def _joined(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
