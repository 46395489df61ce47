"""Whether an answer is the kind of answer its question asks for.

"Within how many hours must the breach be notified?" asks for hours; "within thirty (30) days"
is a right-looking figure of the wrong kind, copied from a neighbouring clause. The question's
wording fixes what kind of answer it wants (a year, a percentage, a duration in some unit, a
count, a dose); an answer that holds nothing of that kind does not answer it, whatever its support.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.generation.citations import CITATION_MARK

_UNITS = {
    "minute": "minutes",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
}
_NUMBER = (
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|a|an)"
)
_HOW_MANY_UNIT = re.compile(
    r"\bhow\s+many\s+(?:business\s+|calendar\s+|working\s+)?(minute|hour|day|week|month|year)s?\b",
    re.IGNORECASE,
)
_HOW_LONG = re.compile(r"\bhow\s+long\b", re.IGNORECASE)
_WHICH_YEAR = re.compile(r"\b(?:which|what)\s+year\b|\bin\s+what\s+year\b", re.IGNORECASE)
_PERCENTAGE = re.compile(r"\bwhat\s+(?:percentage|percent)\b|\bhow\s+much\s+percent", re.IGNORECASE)
_HOW_MANY = re.compile(r"\bhow\s+many\b", re.IGNORECASE)
_DOSE = re.compile(r"\bdoses?\b|\bdosage\b", re.IGNORECASE)
_AMOUNT_OF_DRUG = re.compile(
    r"\d[\d,.]*\s*(?:-|to|–)?\s*(?:\d[\d,.]*\s*)?"
    r"(?:mg|g|mcg|µg|micrograms?|milligrams?|grams?|ml|millilitres?|units?|iu|mmol)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_PERCENT = re.compile(r"%|\bper\s*cent\b|\bpercent", re.IGNORECASE)
_COUNT = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|none|no)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Expected:
    """What the question asks for, in words for a reason, and the pattern an answer must hold."""

    described: str
    pattern: re.Pattern[str]


def _duration(units: tuple[str, ...], described: str) -> Expected:
    words = "|".join(f"{unit}s?" for unit in units)
    return Expected(
        described,
        re.compile(
            rf"\b{_NUMBER}[\s-]+(?:\(\d+\)\s+)?(?:business\s+|calendar\s+|working\s+)?(?:{words})\b",
            re.IGNORECASE,
        ),
    )


def expected_answer(question: str) -> Expected | None:
    """The kind of answer ``question`` asks for, when its wording says."""
    unit = _HOW_MANY_UNIT.search(question)
    if unit:
        name = unit.group(1).lower()
        return _duration((name,), f"a number of {_UNITS[name]}")
    if _HOW_LONG.search(question):
        return _duration(tuple(_UNITS), "a length of time")
    if _WHICH_YEAR.search(question):
        return Expected("a year", _YEAR)
    if _PERCENTAGE.search(question):
        return Expected("a percentage", _PERCENT)
    if _DOSE.search(question):
        return Expected("a dose", _AMOUNT_OF_DRUG)
    if _HOW_MANY.search(question):
        return Expected("a number", _COUNT)
    return None


def type_mismatch(question: str, answer: str) -> str | None:
    """Why ``answer`` is not the kind of answer ``question`` asks for; ``None`` when it is, or
    when the question does not say."""
    expected = expected_answer(question)
    if expected is None or expected.pattern.search(CITATION_MARK.sub(" ", answer)):
        return None
    return f"The question asks for {expected.described}; the answer gives none."
