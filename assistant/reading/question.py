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


_WORD = re.compile(r"[a-z][a-z&'.-]*[a-z]|[a-z]")
_YEAR = re.compile(
    r"(?<![\d.,$])((?:19|20)\d\d)(?![\d,%])|(?<![a-z\d])fy\s*['’]?(\d\d)(?!\d)", re.IGNORECASE
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
            r"|by\s+what\s+percent|how\s+much\s+percent|change\s+in\s+percent"
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
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "for",
        "to",
        "from",
        "by",
        "with",
        "and",
        "or",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "much",
        "many",
        "did",
        "do",
        "does",
        "has",
        "have",
        "had",
        "its",
        "it",
        "this",
        "that",
        "these",
        "those",
        "their",
        "there",
        "than",
        "then",
        "year",
        "years",
        "fiscal",
        "period",
        "quarter",
        "quarters",
        "company",
        "company's",
        "companies",
        "group",
        "figure",
        "according",
        "respectively",
        "between",
        "during",
        "over",
        "under",
        "per",
        "each",
        "all",
        "both",
        "compared",
        "vs",
        "versus",
        "into",
        "out",
        "about",
        "end",
        "ended",
        "ending",
        "dec",
        "december",
        "fy",
        "change",
        "changes",
        "difference",
        "increase",
        "increased",
        "decrease",
        "decreased",
        "percentage",
        "percent",
        "average",
        "mean",
        "rate",
        "growth",
        "largest",
        "highest",
        "smallest",
        "lowest",
        "sum",
        "combined",
        "largest",
        "greatest",
        "most",
        "least",
        "please",
        "tell",
        "me",
        "give",
        "show",
        "state",
        "list",
        "respective",
    ]
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


def terms_of(text: str) -> frozenset[str]:
    """The content terms of ``text`` (labels, headers or a question); unit words such as
    "usd" or "pct" are not terms."""
    cleaned = _YEAR.sub(" ", _QUARTER.sub(" ", text.lower().replace("_", " ")))
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


def periods_of(text: str) -> tuple[Period, ...]:
    """The periods ``text`` names, in order, each once; a quarter applies to every year named
    with it ("Q4 2025 and Q4 2024")."""
    years: list[int] = []
    for match in _YEAR.finditer(text):
        digits = match.group(1) or match.group(2)
        year = int(digits) if len(digits) == 4 else 2000 + int(digits)
        if year not in years:
            years.append(year)
    quarter_match = _QUARTER.search(text)
    quarter = 0
    if quarter_match:
        number = quarter_match.group(1) or quarter_match.group(2)
        quarter = int(number) if number else _ORDINAL[quarter_match.group(3).lower()]
    return tuple(Period(year, quarter) for year in years)


def read_question(question: str) -> QuestionFacts:
    operation = next(
        (op for op, pattern in _OPERATIONS if pattern.search(question)), Operation.LOOKUP
    )
    return QuestionFacts(question, terms_of(question), periods_of(question), operation)
