"""What a question asks of a table: its terms, the periods it names, and the operation.

The table reader matches a question's terms against row labels and column headers and its
periods against the period headers, then applies the operation the question asks for (a change,
a percentage change, an average, the period with the largest value). Periods are normalised so
that "FY2025", "fiscal 2025" and "2025" meet, as do "Q4 2025", "2025-Q4" and "fourth quarter".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Operation(StrEnum):
    LOOKUP = "lookup"
    CHANGE = "change"
    PERCENT_CHANGE = "percent change"
    AVERAGE = "average"
    SUM = "sum"
    LARGEST_PERIOD = "largest period"
    SMALLEST_PERIOD = "smallest period"
    RATIO = "ratio"
    SHARE = "share"
    DIFFERENCE = "difference"
    TOTAL = "total"
    PERIODS = "periods"
    PERIODS_PAST = "periods past a figure"
    ITEMS = "items"


@dataclass(frozen=True)
class ItemPair:
    """Two line items a question relates ("the ratio of A to B"), as the question words them."""

    operation: Operation
    first: str
    second: str


@dataclass(frozen=True, order=True)
class Period:
    """A year, optionally narrowed to a quarter (1-4)."""

    year: int
    quarter: int = 0

    def __str__(self) -> str:
        return f"Q{self.quarter} {self.year}" if self.quarter else str(self.year)


@dataclass(frozen=True)
class QuestionFacts:
    """``terms`` are the question's content words (normalised, periods and operation words
    left out); ``periods`` the periods it names, in order of mention."""

    question: str
    terms: frozenset[str]
    periods: tuple[Period, ...]
    operation: Operation
    pair: ItemPair | None = None


_WORD = re.compile(r"[a-z][a-z&'.-]*[a-z]|[a-z]")
_YEAR = re.compile(
    r"(?<![\d.,$])((?:19|20)\d\d)(?!\d|,\d|%)|(?<![a-z\d])fy\s*['’]?(\d\d)(?!\d)", re.IGNORECASE
)
_QUARTER = re.compile(
    r"\bq([1-4])\b|\b([1-4])q\b|\b(first|second|third|fourth)\s+quarter\b", re.IGNORECASE
)
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_OPERATIONS: tuple[tuple[Operation, re.Pattern[str]], ...] = (
    (
        Operation.PERCENT_CHANGE,
        re.compile(
            r"percent(?:age)?\s+(?:change|increase|decrease|growth|decline|rise|fall)"
            r"|%\s*(?:change|increase|decrease)|growth\s+rate|rate\s+of\s+(?:change|growth)"
            r"|by\s+what\s+percent|how\s+much\s+percent"
            r"|(?:change|increase|decrease)\s*\(%\)",
            re.IGNORECASE,
        ),
    ),
    (Operation.AVERAGE, re.compile(r"\baverage\b|\bmean\b", re.IGNORECASE)),
    (
        Operation.CHANGE,
        re.compile(
            r"\b(?:change|difference|increase|decrease|grow|grew|rise|rose|fall|fell|decline)[ds]?\b"
            r"|\bhow\s+much\s+(?:more|less|higher|lower)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Operation.LARGEST_PERIOD,
        re.compile(
            r"\bwhich\s+(?:year|period|quarter|fy|fiscal\s+year)\b.*\b(?:largest|highest|most|greatest|larger|higher|more|maximum)\b"
            r"|\bin\s+which\s+(?:year|period|quarter)\b.*\b(?:largest|highest|most|greatest|larger|higher|more)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Operation.SMALLEST_PERIOD,
        re.compile(
            r"\bwhich\s+(?:year|period|quarter|fy|fiscal\s+year)\b.*\b(?:smallest|lowest|least|fewest|smaller|lower|less|minimum)\b",
            re.IGNORECASE,
        ),
    ),
    (Operation.SUM, re.compile(r"\bsum\s+of\b|\bcombined\b|\bin\s+total\s+for\b", re.IGNORECASE)),
)
_STOPWORDS = frozenset(
    "a an the of in on at for to from by with and or as is are was were be been being what "  # noqa: SIM905
    "which who whom whose when where why how much many did do does has have had its it this "
    "that these those their there than then year years fiscal period quarter quarters "
    "quarterly yearly monthly company company's companies group figure according respectively "
    "between during over under per each all both compared vs versus into out about end ended "
    "ending dec december fy change changes difference increase increased decrease decreased "
    "percentage percent average mean rate growth largest highest smallest lowest sum combined "
    "largest greatest most least please tell me give show state list respective annual "
    "annually".split()
)
_ABBREVIATIONS = {
    "eps": "earnings per share",
    "capex": "capital expenditure",
    "opex": "operating expenses",
    "fcf": "free cash flow",
    "arr": "annual recurring revenue",
    "r&d": "research and development",
    "sg&a": "selling general and administrative",
    "ppe": "property plant and equipment",
    "pp&e": "property plant and equipment",
}
"""Abbreviations written out, so that a label and a question meet whichever form each uses."""
_ABBREVIATION = re.compile(
    r"(?<![\w&])(" + "|".join(map(re.escape, _ABBREVIATIONS)) + r")(?![\w&])"
)
_UNIT_WORDS = frozenset({"usd", "eur", "gbp", "pct", "mn", "bn", "thousand", "million", "billion"})
GENERIC_TERMS = frozenset({"net", "other", "total", "value", "amount", "cost", "income", "expense"})
"""Terms too common in row labels to identify a line item on their own."""


def normalise_term(word: str) -> str:
    """A word in the form the reader compares: lower case, plural and possessive dropped."""
    word = word.lower().strip(".'’-").removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def unnamed_modifier(question: str, label_terms: frozenset[str]) -> str | None:
    """The word the question puts right before the label's first term when the label lacks
    it: "annual recurring revenue" is not the row "Revenue". Stop words, generic terms, periods
    and possessives ("Kestrel Ridge's revenue", "Kestrel Ridge Instruments' revenue") do not
    count."""
    text = _YEAR.sub(" ", question.lower())
    words = list(_WORD.finditer(text))
    for index, word in enumerate(words):
        if normalise_term(word.group()) not in label_terms:
            continue
        if index == 0:
            return None
        before = words[index - 1].group()
        term = normalise_term(before)
        after = text[words[index - 1].end() : words[index - 1].end() + 1]
        possessive = before.endswith(("'s", "’s")) or after in ("'", "’")  # "Instruments'"
        if possessive or term in label_terms or term in _STOPWORDS or term in GENERIC_TERMS:
            return None
        return None if term in _UNIT_WORDS or len(term) < 2 else before
    return None


def terms_of(text: str) -> frozenset[str]:
    """The content terms of ``text`` (labels, headers or a question); unit words such as
    "usd" or "pct" are not terms."""
    cleaned = _YEAR.sub(" ", _QUARTER.sub(" ", text.lower().replace("_", " ")))
    cleaned = _ABBREVIATION.sub(lambda m: f" {_ABBREVIATIONS[m.group(1)]} ", cleaned)
    words = (normalise_term(w) for w in _WORD.findall(cleaned))
    return frozenset(
        w for w in words if w and w not in _STOPWORDS and w not in _UNIT_WORDS and len(w) > 1
    )


_RANGE = re.compile(
    r"(?:from|between)\s+((?:19|20)\d\d)\s*(?:to|and|-|–|through)\s*((?:19|20)\d\d)"
    r"|((?:19|20)\d\d)\s*(?:-|–|to|through)\s*((?:19|20)\d\d)",
    re.IGNORECASE,
)


def year_range(text: str) -> tuple[int, int] | None:
    """The first and last year of a span the text names ("from 2017 to 2019", "2017-2019")."""
    match = _RANGE.search(text)
    if match is None:
        return None
    first, last = (int(g) for g in match.groups() if g)
    return (first, last) if first < last else (last, first)


_YEAR_QUARTER = re.compile(
    r"(?<![\d.,$])(?:fy\s*)?((?:19|20)\d\d)\s*[-/ ]?\s*q([1-4])\b"
    r"|\bq([1-4])\s*[-/ ]?\s*(?:fy\s*)?((?:19|20)\d\d)(?![\d,%])",
    re.IGNORECASE,
)


def periods_of(text: str) -> tuple[Period, ...]:
    """The periods ``text`` names, in order, each once. A year written with its quarter
    ("FY2025-Q1", "Q4 2024") is that quarter; otherwise a quarter named apart applies to every
    year named with it ("the fourth quarter of 2025 and 2024")."""
    found: list[tuple[int, Period]] = []
    for match in _YEAR_QUARTER.finditer(text):
        year, quarter = (match.group(1), match.group(2)) if match.group(1) else match.group(4, 3)
        found.append((match.start(), Period(int(year), int(quarter))))
    rest = _YEAR_QUARTER.sub(lambda m: " " * len(m.group(0)), text)
    quarter_match = _QUARTER.search(rest)
    quarter = 0
    if quarter_match:
        number = quarter_match.group(1) or quarter_match.group(2)
        quarter = int(number) if number else _ORDINAL[quarter_match.group(3).lower()]
    for match in _YEAR.finditer(rest):
        digits = match.group(1) or match.group(2)
        year = int(digits) if len(digits) == 4 else 2000 + int(digits)
        found.append((match.start(), Period(year, quarter)))
    return tuple(dict.fromkeys(period for _, period in sorted(found, key=lambda f: f[0])))


_PAIRS: tuple[tuple[Operation, re.Pattern[str]], ...] = (
    (
        Operation.RATIO,
        re.compile(
            r"\bratio\s+(?:of|between)\s+(?P<a>.+?)\s+(?:to|over|against|versus|vs\.?|and)\s+"
            r"(?P<b>.+)",
            re.IGNORECASE,
        ),
    ),
    (
        Operation.SHARE,
        re.compile(
            r"\b(?:percentage|percent)\s+of\s+(?P<a>.+?)\s+(?:over|to|of|in|among|against|"
            r"relative\s+to|out\s+of|compared\s+to|from)\s+(?P<b>.+)"
            r"|(?P<a2>.+?)\s+as\s+an?\s+(?:percentage|percent)\s+of\s+(?P<b2>.+)",
            re.IGNORECASE,
        ),
    ),
    (
        Operation.RATIO,
        re.compile(
            r"\b(?:proportion|fraction|portion)\s+of\s+(?P<a>.+?)\s+(?:over|to|of|in|among|"
            r"against|relative\s+to|out\s+of)\s+(?P<b>.+)"
            r"|(?P<a2>.+?)\s+as\s+an?\s+(?:proportion|fraction|ratio)\s+of\s+(?P<b2>.+)",
            re.IGNORECASE,
        ),
    ),
    (
        Operation.DIFFERENCE,
        re.compile(r"\bdifference\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>.+)", re.IGNORECASE),
    ),
    (
        Operation.TOTAL,
        re.compile(
            r"\b(?:sum|total)\s+of\s+(?P<a>.+?)\s+and\s+(?P<b>.+)"
            r"|\bcombined\s+(?P<a2>.+?)\s+and\s+(?P<b2>.+)",
            re.IGNORECASE,
        ),
    ),
)


def item_pair(question: str) -> ItemPair | None:
    """The two line items the question relates, when it relates two (each must name more than
    a period: "the difference between 2018 and 2019" is a change of one item)."""
    for operation, pattern in _PAIRS:
        match = pattern.search(question)
        if match is None:
            continue
        first = match.group("a") or match.groupdict().get("a2") or ""
        second = match.group("b") or match.groupdict().get("b2") or ""
        first = re.sub(r"^(?:what|how|which)\b.*?\b(?:is|was|are|were)\s+", "", first, flags=re.I)
        if terms_of(first) and terms_of(second):
            return ItemPair(operation, first.strip(), second.strip(" ?."))
    return None


_TOTAL_OVER = re.compile(r"\btotal\b|\baltogether\b", re.IGNORECASE)
_EACH = re.compile(r"\brespectively\b|\beach\b", re.IGNORECASE)


def operations_named(text: str) -> tuple[Operation, ...]:
    """The computations whose wording ``text`` uses, the one a question asks for first."""
    return tuple(op for op, pattern in _OPERATIONS if pattern.search(text))


def read_question(question: str) -> QuestionFacts:
    operation = next(iter(operations_named(question)), Operation.LOOKUP)
    periods = periods_of(question)
    over_periods = len(periods) > 1 or year_range(question) is not None
    each = _EACH.search(question) is not None
    if operation is Operation.LOOKUP and over_periods and not each and _TOTAL_OVER.search(question):
        # "the total deposits in 2018 and 2019": one figure over the periods named.
        operation = Operation.SUM
    return QuestionFacts(question, terms_of(question), periods, operation, item_pair(question))
