"""Reading numbers as documents print them.

Financial and clinical documents write numbers with thousands separators, currency signs,
accounting parentheses for negatives ("(71.4)"), percent signs and dashes for nil. Reading them
exactly (as ``Decimal``) lets the product compare an answer's figures with its sources and
compute with cited values without floating-point noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_CURRENCY = r"(?:US\$|USD|EUR|GBP|\$|€|£|¥)"
_NUMBER = re.compile(
    rf"""
    (?:{_CURRENCY}\s*)?
    (?P<open>\()?\s*
    (?P<sign>[-−–])?\s*
    (?:{_CURRENCY}\s*)?
    (?P<digits>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
    \s*(?P<percent>%)?
    \s*(?P<close>\))?
    """,
    re.VERBOSE,
)
_NIL = frozenset({"", "-", "—", "–", "n/a", "na", "nm", "n.m.", "nil", "none"})


@dataclass(frozen=True)
class Quantity:
    """A number read from text: its exact value and whether it was printed as a percentage."""

    value: Decimal
    percent: bool = False


def read_number(text: str) -> Quantity | None:
    """The number that ``text`` (a table cell or a short phrase) consists of, else ``None``.

    ``"(71.4)"`` and ``"-71.4"`` are negative, ``"13.1%"`` is a percentage of 13.1, and a dash
    or "n/a" is no number. Text with words beside the number is not a number.
    """
    cleaned = " ".join(text.replace("*", "").split())
    if cleaned.lower() in _NIL:
        return None
    match = _NUMBER.fullmatch(cleaned)
    if match is None or bool(match.group("open")) != bool(match.group("close")):
        return None
    try:
        value = Decimal(match.group("digits").replace(",", ""))
    except InvalidOperation:
        return None
    if match.group("open") or match.group("sign"):
        value = -value
    return Quantity(value, percent=bool(match.group("percent")))


def format_number(value: Decimal, *, places: int | None = None) -> str:
    """``value`` with thousands separators, rounded to ``places`` decimals when given; trailing
    zeros after the point are dropped."""
    if places is not None:
        value = round(value, places)
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text
