"""Deterministic fact checks: numbers, amounts, percentages, dates and named parties in an answer
sentence that appear in none of the passages it is judged against.

Small entailment models read "12.5%" and "15.2%" as near-identical and miss a swapped party or
year; in legal, financial and medical answers those are exactly the errors that matter. This
detector needs no model: it extracts the checkable facts of each sentence and of its evidence
(``DetectionInput.evidence_for``), normalises them, and reports the ones with no match.

Normalisation makes these equal: thousands separators ("1,500,000" = "1500000"), scale words and
abbreviations ("1.5 million" = "1,500,000" = "$1.5m"), trailing zeros ("12.50" = "12.5"),
"%" / "percent" / "per cent", negatives in parentheses ("(1,234)" = "-1,234"; signs are ignored
because "a decrease of 1,234" restates "(1,234)"), mass and volume units ("0.5 g" = "500 mg"),
durations ("2 weeks" = "14 days" = "14-day", "3 years" = "36 months", but months never equal
days, which a month has no fixed number of; "15 days" is not "15 business days"), and date
formats ("March 3, 2021" = "3 March 2021" = "2021-03-03"; "FY19" = "fiscal 2019").
Matching is deliberately lenient where documents are terse: a number written without a scale
word matches the same figure with any scale (tables state "in millions" once), a passage that
declares "in millions" / "in thousands" scales its bare figures, a rounded figure matches a more
precise one ("$1.5 billion" against "1,496.5" in millions), and a less specific date matches a
more specific one ("March 2021" against "March 3, 2021"). Parties match when their normalised
name (case, articles, punctuation and company suffixes dropped) occurs in a passage.

Citation markers ("[1]", "[2, 3]") and list numbering ("1.", "(2)") are not facts. Spelled-out
numbers ("thirty days") are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

from assistant.generation.citations import CITATION_MARK
from assistant.guard.protocols import DetectionInput, SentenceSupport, Span


class FactKind(StrEnum):
    NUMBER = "number"
    AMOUNT = "amount"
    PERCENTAGE = "percentage"
    DATE = "date"
    PARTY = "party"


@dataclass(frozen=True)
class Quantity:
    """A number as compared: ``mantissa`` is the absolute figure as written, ``multiplier`` the
    product of its scale word and unit conversion, ``unit`` its class (percent, mass, volume)."""

    mantissa: Decimal
    multiplier: Decimal = Decimal(1)
    explicit_scale: bool = False
    unit: str | None = None

    @property
    def value(self) -> Decimal:
        return self.mantissa * self.multiplier


@dataclass(frozen=True)
class DateValue:
    """The parts of a date that were written; ``None`` for parts left unsaid. ``ambiguous`` marks
    numeric dates such as 03/04/2021 that may be read day-first or month-first."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    quarter: int | None = None
    ambiguous: bool = False


@dataclass(frozen=True)
class Fact:
    """One checkable fact: what kind, its surface text, where it is and its normalised value
    (a ``Quantity``, a ``DateValue`` or, for parties, the normalised name)."""

    kind: FactKind
    text: str
    span: Span
    value: Quantity | DateValue | str


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# --- what is not a fact -------------------------------------------------------------------------

_LIST_NUMBER = re.compile(r"(?m)^[ \t]*(?:[-•*][ \t]*)?\(?\d{1,2}[.)](?=\s)")


def _mask(text: str, spans: Iterable[tuple[int, int]], fill: str = " ") -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = fill * (end - start)
    return "".join(chars)


# --- dates --------------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<month>(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?)(?![a-z])"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR4 = r"(?P<year>(?:19|20)\d{2})"
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_MONTH_GATE = r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_DATE_PATTERNS = tuple(
    (re.compile(gate), re.compile(pattern))
    for gate, pattern in (
        (_MONTH_GATE, rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR4}\b"),
        (_MONTH_GATE, rf"\b{_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR4}\b"),
        (
            r"\d[-/.]\d",
            r"\b(?P<year>(?:19|20)\d{2})[-/.](?P<mnum>[01]?\d)[-/.](?P<day>[0-3]?\d)\b",
        ),
        (
            r"\d[/.]\d",
            r"\b(?P<first>[0-3]?\d)[/.](?P<second>[0-3]?\d)[/.](?P<year>(?:19|20)\d{2}|\d{2})\b",
        ),
        (r"F\.?Y", r"\b(?:FY|F\.Y\.)\s?'?(?P<year>(?:19|20)\d{2}|\d{2})\b"),
        (r"iscal", r"\b[Ff]iscal(?:\s+[Yy]ear)?\s+(?P<year>(?:19|20)\d{2})\b"),
        (r"Q\d", r"\bQ(?P<quarter>[1-4])\s*(?:FY\s?|F)?'?(?P<year>(?:19|20)\d{2}|\d{2})\b"),
        (r"\dQ", r"\b(?P<quarter>[1-4])Q\s?'?(?P<year>(?:19|20)\d{2}|\d{2})\b"),
        (
            r"quarter",
            r"\b(?P<qword>[Ff]irst|[Ss]econd|[Tt]hird|[Ff]ourth)\s+quarter(?:\s+of)?"
            r"(?:\s+(?:fiscal(?:\s+year)?\s+|FY\s?))?\s+(?P<year>(?:19|20)\d{2})\b",
        ),
        (_MONTH_GATE, rf"\b{_MONTH}(?:,?\s+|\s*-\s*){_YEAR4}\b"),
        (_MONTH_GATE, rf"\b{_MONTH}\s+{_DAY}\b(?!\s*[,.]?\d)"),
        (_MONTH_GATE, rf"\b{_DAY}(?:\s+of)?\s+{_MONTH}"),
    )
)
"""Date forms, longest first, each behind a cheap test of whether the text may hold it."""


def _full_year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


def _date_value(match: re.Match[str]) -> DateValue | None:
    parts = match.groupdict()
    year = _full_year(parts["year"]) if parts.get("year") else None
    if parts.get("first"):
        first, second = int(parts["first"]), int(parts["second"])
        if first > 12 and second > 12:
            return None
        if first > 12:
            return DateValue(year, second, first)
        ambiguous = second <= 12 and first != second
        return DateValue(year, first, second, ambiguous=ambiguous)
    month = None
    if parts.get("month"):
        month = _MONTHS[parts["month"][:3].lower()]
    elif parts.get("mnum"):
        month = int(parts["mnum"])
    day = int(parts["day"]) if parts.get("day") else None
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        return None
    quarter = int(parts["quarter"]) if parts.get("quarter") else None
    if parts.get("qword"):
        quarter = _QUARTER_WORDS[parts["qword"].lower()]
    return DateValue(year, month, day, quarter)


# --- numbers ------------------------------------------------------------------------------------

_PREFIX = re.compile(
    r"(?P<open>\()?[-−–]?[ ]?(?P<cur>US\$|A\$|C\$|HK\$|S\$|\$|€|£|¥|₹|"
    r"\b(?:USD|EUR|GBP|JPY|CHF|CAD|AUD|INR|RMB|CNY|Rs\.?)[ ]?)?[ ]{0,2}[-−]?$"
)
_SCALE_WORDS = {
    "thousand": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
}
_SCALE_ABBREVIATIONS = {
    "k": _SCALE_WORDS["thousand"],
    "m": _SCALE_WORDS["million"],
    "mn": _SCALE_WORDS["million"],
    "mm": _SCALE_WORDS["million"],
    "b": _SCALE_WORDS["billion"],
    "bn": _SCALE_WORDS["billion"],
    "tn": _SCALE_WORDS["trillion"],
}
_UNITS: Mapping[str, tuple[str, Decimal]] = {
    "%": ("percent", Decimal(1)),
    "percent": ("percent", Decimal(1)),
    "per cent": ("percent", Decimal(1)),
    "pct": ("percent", Decimal(1)),
    "percentage point": ("percent", Decimal(1)),
    "percentage points": ("percent", Decimal(1)),
    "pp": ("percent", Decimal(1)),
    "basis point": ("percent", Decimal("0.01")),
    "basis points": ("percent", Decimal("0.01")),
    "bps": ("percent", Decimal("0.01")),
    "mcg": ("mass", Decimal("0.001")),
    "µg": ("mass", Decimal("0.001")),
    "μg": ("mass", Decimal("0.001")),
    "microgram": ("mass", Decimal("0.001")),
    "micrograms": ("mass", Decimal("0.001")),
    "mg": ("mass", Decimal(1)),
    "milligram": ("mass", Decimal(1)),
    "milligrams": ("mass", Decimal(1)),
    "g": ("mass", Decimal(1000)),
    "gram": ("mass", Decimal(1000)),
    "grams": ("mass", Decimal(1000)),
    "kg": ("mass", Decimal(1_000_000)),
    "kilogram": ("mass", Decimal(1_000_000)),
    "kilograms": ("mass", Decimal(1_000_000)),
    "ml": ("volume", Decimal(1)),
    "mL": ("volume", Decimal(1)),
    "millilitre": ("volume", Decimal(1)),
    "millilitres": ("volume", Decimal(1)),
    "milliliter": ("volume", Decimal(1)),
    "milliliters": ("volume", Decimal(1)),
    "L": ("volume", Decimal(1000)),
    "litre": ("volume", Decimal(1000)),
    "litres": ("volume", Decimal(1000)),
    "liter": ("volume", Decimal(1000)),
    "liters": ("volume", Decimal(1000)),
    "minute": ("duration", Decimal(1)),
    "minutes": ("duration", Decimal(1)),
    "hour": ("duration", Decimal(60)),
    "hours": ("duration", Decimal(60)),
    "day": ("duration", Decimal(1440)),
    "days": ("duration", Decimal(1440)),
    "week": ("duration", Decimal(10080)),
    "weeks": ("duration", Decimal(10080)),
    "month": ("months", Decimal(1)),
    "months": ("months", Decimal(1)),
    "year": ("months", Decimal(12)),
    "years": ("months", Decimal(12)),
}
_MEASURED = frozenset({"mass", "volume", "duration", "months"})
"""Unit classes whose figures mean nothing without their unit: "1 minute" is not "1 hour"."""
_UNIT_ALTERNATION = "|".join(
    re.escape(unit) if unit == "%" else re.escape(unit) + r"\b"
    for unit in sorted(_UNITS, key=len, reverse=True)
)
_TIME_WORDS = "|".join(
    unit for unit, (kind, _) in _UNITS.items() if kind in {"duration", "months"} and unit[-1] != "s"
)
"""Units of time a figure may be joined to by a hyphen ("a 30-day notice")."""
_NUMBER_CORE = re.compile(
    r"(?<![\w.,:])(?<![A-Za-z]-)(?P<core>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?!(?!(?:bn|mn|mm|tn|k|m|b|mcg|mg|kg|g|ml|mL|L|pp|bps|pct)\b)\w|[.,:]\d"
    rf"|-(?!(?:{_TIME_WORDS})\b)[A-Za-z])"
)
_SUFFIX = re.compile(
    r"(?P<close>\))?"
    r"(?:[ ]?(?P<scale>thousand|million|billion|trillion)s?\b"
    r"|(?P<abbr>bn|mn|mm|tn|k|m|b)\b|[ ](?P<spaced>bn|mn|tn)\b)?"
    rf"(?:[ -]?(?P<unit>{_UNIT_ALTERNATION}))?"
    r"(?:[ ](?P<curword>dollars|euros|pounds|yen|francs|USD|EUR|GBP)\b)?"
)
_NUMBER_WORDS = _word_set(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred"
)
_PASSAGE_SCALE = re.compile(
    r"\bin\s+(?:US\$\s*|\$\s*|€\s*|£\s*)?(?P<scale>thousands|millions|billions)\b", re.IGNORECASE
)


def _quantity_fact(text: str, match: re.Match[str]) -> Fact | None:
    core = match.group("core")
    start, end = match.span("core")
    prefix = _PREFIX.search(text, max(0, start - 12), start)
    suffix = _SUFFIX.match(text, end)
    currency = bool(prefix and prefix.group("cur"))
    opened = bool(prefix and prefix.group("open"))
    closed = bool(suffix and suffix.group("close"))
    parts = suffix.groupdict() if suffix else {}
    plain_integer = "," not in core and "." not in core
    if opened and closed and plain_integer and len(core) <= 2 and not currency:
        cut = prefix.start() if prefix else start
        before = text[max(0, cut - 20) : cut].split()
        in_table = bool(before) and before[-1].endswith("|")
        word = before[-1].lower().lstrip("*_`'\"") if before else ""  # emphasis marks
        spelled = all(part in _NUMBER_WORDS for part in word.split("-")) if word else False
        if not in_table and not spelled:
            return None
    try:
        mantissa = Decimal(core.replace(",", ""))
    except InvalidOperation:
        return None
    multiplier = Decimal(1)
    explicit_scale = False
    if parts.get("scale"):
        multiplier, explicit_scale = _SCALE_WORDS[parts["scale"]], True
    elif parts.get("spaced"):
        multiplier, explicit_scale = _SCALE_ABBREVIATIONS[parts["spaced"]], True
    elif parts.get("abbr") and currency:
        multiplier, explicit_scale = _SCALE_ABBREVIATIONS[parts["abbr"]], True
    unit = None
    if parts.get("unit"):
        unit, factor = _UNITS[parts["unit"]]
        multiplier *= factor
    currency = currency or bool(parts.get("curword"))
    if (
        not currency
        and not explicit_scale
        and unit is None
        and plain_integer
        and len(core) == 4
        and 1900 <= int(core) <= 2099
    ):
        return Fact(FactKind.DATE, core, Span(start, end), DateValue(year=int(core)))
    span_start = start
    if prefix and prefix.group("cur"):
        span_start = prefix.start("cur")
    if prefix and opened and closed:
        span_start = prefix.start("open")
    span_end = end
    if suffix:
        for group in ("curword", "unit", "spaced", "scale", "abbr", "close"):
            wanted = (group != "abbr" or explicit_scale) and (group != "close" or opened)
            if parts.get(group) and wanted:
                span_end = max(span_end, suffix.end(group))
    kind = FactKind.NUMBER
    if unit == "percent":
        kind = FactKind.PERCENTAGE
    elif currency:
        kind = FactKind.AMOUNT
    quantity = Quantity(abs(mantissa), multiplier, explicit_scale, unit)
    return Fact(kind, text[span_start:span_end], Span(span_start, span_end), quantity)


# --- parties ------------------------------------------------------------------------------------

ROLE_WORDS = _word_set(
    "Company Licensee Licensor Buyer Seller Purchaser Vendor Lender Borrower Landlord Tenant "
    "Lessor Lessee Employer Employee Executive Contractor Consultant Customer Supplier "
    "Distributor Parent Target Acquirer Guarantor Trustee Recipient Discloser Franchisee "
    "Franchisor Sublicensee Manufacturer Reseller Affiliate Partnership Investor Holder "
    "Mentor Client Provider Agent"
)
_OPENERS = _word_set(
    "the a an in on at for by of to from with this that these those under according based "
    "however if when where while as all any each every no yes our its their both it we they "
    "he she his her there upon after before during following pursuant subject notwithstanding "
    "such neither either whereas what which who how why also although because but and or so "
    "thus therefore accordingly furthermore moreover overall only not then since until unless "
    "between among per via see note source i you your my me us them"
)
_COMMON_CAPITALISED = _word_set(
    "I Section Sections Article Articles Table Tables Figure Figures Exhibit Exhibits Schedule "
    "Schedules Appendix Part Item Items Note Notes Chapter Clause Paragraph Page Yes No None "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday Agreement Act Mr Mrs Ms Dr "
    "Source Sources Answer Question Summary Key Total Form Rule Fig Ref Gram Headings"
)
_COMPANY_SUFFIXES = _word_set(
    "inc inc. incorporated corp corp. corporation co co. ltd ltd. limited llc l.l.c. plc p.l.c. "
    "lp l.p. llp l.l.p. n.a. s.a. ag gmbh n.v. b.v."
)
_KEPT_ABBREVIATIONS = _word_set(
    "Inc. Corp. Ltd. Co. L.P. L.L.C. N.A. S.A. N.V. B.V. P.L.C. L.L.P. U.S. U.K. Jr. Sr."
)
_CAPITALISED = r"[A-Z][A-Za-z0-9'’&.\-]*"
_CONNECTORS = frozenset({"of", "for", "de", "du", "la", "van", "von", "der", "&"})
_CONNECTOR = "(?:" + "|".join(sorted(_CONNECTORS)) + ")"
_NAME = re.compile(
    rf"(?<![\w'’&.\-]){_CAPITALISED}(?:(?:[ ]+{_CONNECTOR})?[ ]+{_CAPITALISED}"
    r"|,[ ]+(?:Inc\.?|LLC|Ltd\.?|L\.P\.|Corp\.?|N\.A\.|plc|S\.A\.)(?![\w]))*"
)
_SENTENCE_START = re.compile(r"(?:^\s*|[.!?:;]\s+|\n\s*|[\"“‘(]\s*|[-•*]\s+)$")
_PARTY_CLEAN = re.compile(r"[^\w&]+")
_TOKEN = re.compile(r"\S+")
_GLUED = re.compile(r"[:/]\w")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_INITIALISM = re.compile(r"(?:[A-Z]\.)+")


def normalise_name(name: str) -> str:
    """A party's name as compared: lower case, no leading article, no company suffix ("Inc.",
    "LLC"), punctuation other than "&" turned into spaces."""
    words = name.replace("’", "'").lower().split()
    while words and words[0] in {"the", "a", "an"}:
        words = words[1:]
    while words and words[-1].rstrip(",") in _COMPANY_SUFFIXES:
        words = words[:-1]
    return " ".join(_PARTY_CLEAN.sub(" ", " ".join(words)).split())


def _is_sentence_end(token: str) -> bool:
    return (
        token.endswith(".")
        and token not in _KEPT_ABBREVIATIONS
        and not _INITIALISM.fullmatch(token)
    )


def _name_segments(
    tokens: list[tuple[int, str]], at_sentence_start: bool
) -> Iterator[tuple[list[tuple[int, str]], bool]]:
    """Splits a run of capitalised words at sentence ends and capitalised function words
    ("... Holdings Inc. The Company" holds two names); says whether each part opens a sentence."""
    segment: list[tuple[int, str]] = []
    starts = at_sentence_start
    for position, token in tokens:
        if not segment and len(token) == 2 and _INITIALISM.fullmatch(token):
            starts = True
            continue
        if token[0].isupper() and token.lower() in _OPENERS:
            if segment:
                yield segment, starts
            segment, starts = [], False
            continue
        segment.append((position, token))
        if _is_sentence_end(token):
            yield segment, starts
            segment, starts = [], True
    if segment:
        yield segment, starts


def _is_acronym(token: str) -> bool:
    return sum(char.isupper() for char in token) >= 2


def _party_fact(text: str, tokens: list[tuple[int, str]], at_sentence_start: bool) -> Fact | None:
    if (
        at_sentence_start
        and len(tokens) > 1
        and not _is_acronym(tokens[0][1])
        and any(_is_acronym(token) for _, token in tokens[1:])
    ):
        tokens, at_sentence_start = tokens[1:], False
    while tokens and tokens[0][1] in _CONNECTORS:
        tokens = tokens[1:]
    if len(tokens) > 1 and all(_is_acronym(t) and len(t) < 4 for _, t in tokens):
        return None
    while tokens and tokens[-1][1] in _CONNECTORS:
        tokens = tokens[:-1]
    if not tokens:
        return None
    last_start, last = tokens[-1]
    last = _POSSESSIVE.sub("", last)
    if last not in _KEPT_ABBREVIATIONS and not _INITIALISM.fullmatch(last):
        last = last.rstrip(".-,")
    start, end = tokens[0][0], last_start + len(last)
    name = text[start:end]
    if not name:
        return None
    if (
        len(tokens) == 1
        and name not in ROLE_WORDS
        and (
            at_sentence_start
            or name in _COMMON_CAPITALISED
            or name.isupper()
            or len(name) < 2
            or not name[1].islower()
            or not name[1:].replace("-", "").isalpha()
        )
    ):
        return None
    normalised = normalise_name(name)
    return Fact(FactKind.PARTY, name, Span(start, end), normalised) if normalised else None


def _party_facts(text: str) -> list[Fact]:
    facts = []
    for match in _NAME.finditer(text):
        if _GLUED.match(text, match.end()):
            continue
        tokens = [(m.start() + match.start(), m.group()) for m in _TOKEN.finditer(match.group())]
        window = max(0, match.start() - 8)
        at_start = bool(_SENTENCE_START.search(text, window, match.start())) or match.start() == 0
        for segment, starts in _name_segments(tokens, at_start):
            fact = _party_fact(text, segment, starts)
            if fact is not None:
                facts.append(fact)
    return facts


# --- extraction ---------------------------------------------------------------------------------


def extract_facts(text: str) -> tuple[Fact, ...]:
    """The checkable facts of ``text`` in order of position, with spans into ``text``.

    Dates are taken first so that their digits are not read again as numbers; a bare year
    (1900-2099, no currency, scale or unit) is a date.
    """
    return _extract(text, parties=True)


@lru_cache(maxsize=8192)
def _extract(text: str, parties: bool) -> tuple[Fact, ...]:
    """Facts of ``text``; remembered, as the same passages come back answer after answer."""
    ignored = [m.span() for m in CITATION_MARK.finditer(text)]
    ignored += [m.span() for m in _LIST_NUMBER.finditer(text)]
    masked = _mask(text, ignored)
    facts: list[Fact] = []
    taken: list[tuple[int, int]] = []
    for gate, pattern in _DATE_PATTERNS:
        if not gate.search(masked):
            continue
        for match in pattern.finditer(masked):
            start, end = match.span()
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            value = _date_value(match)
            if value is not None:
                facts.append(Fact(FactKind.DATE, text[start:end], Span(start, end), value))
                taken.append((start, end))
    masked = _mask(masked, taken)
    for match in _NUMBER_CORE.finditer(masked):
        fact = _quantity_fact(masked, match)
        if fact is not None:
            facts.append(
                Fact(fact.kind, text[fact.span.start : fact.span.end], fact.span, fact.value)
            )
            taken.append((fact.span.start, fact.span.end))
    if parties:
        facts.extend(_party_facts(_mask(masked, taken, fill="#")))
    return tuple(sorted(facts, key=lambda fact: (fact.span.start, fact.span.end)))


# --- matching -----------------------------------------------------------------------------------


def _rounds_to(precise: Decimal, rounded: Decimal) -> bool:
    """Whether ``precise`` written at the precision of ``rounded`` gives ``rounded``."""
    exponent = rounded.as_tuple().exponent
    if not isinstance(exponent, int) or len(rounded.normalize().as_tuple().digits) < 2:
        return False
    if precise == rounded:
        return True
    try:
        return precise.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP) == rounded
    except InvalidOperation:
        return False


def _quantities_match(claim: Quantity, found: Quantity, scales: Iterable[Decimal]) -> bool:
    """Whether ``found`` (from a passage) states ``claim``; ``scales`` are the scales the
    evidence declares for its bare figures."""
    measured = claim.unit in _MEASURED
    if measured and found.unit != claim.unit:
        return False
    if claim.unit == "percent" and found.unit not in {None, "percent"}:
        return False
    either_unscaled = not (claim.explicit_scale and found.explicit_scale)
    if (
        not measured
        and either_unscaled
        and (claim.mantissa == found.mantissa or _rounds_to(found.mantissa, claim.mantissa))
    ):
        return True
    candidates = [found.value]
    if not found.explicit_scale and found.unit is None:
        candidates.extend(found.mantissa * scale for scale in scales)
    return any(
        candidate == claim.value or _rounds_to(candidate / claim.multiplier, claim.mantissa)
        for candidate in candidates
    )


def _dates_match(claim: DateValue, found: DateValue) -> bool:
    readings = [found]
    if found.ambiguous:
        readings.append(DateValue(found.year, found.day, found.month, found.quarter))
    claims = [claim]
    if claim.ambiguous:
        claims.append(DateValue(claim.year, claim.day, claim.month, claim.quarter))
    for wanted in claims:
        for reading in readings:
            if all(
                getattr(wanted, part) is None or getattr(wanted, part) == getattr(reading, part)
                for part in ("year", "month", "day", "quarter")
            ):
                return True
    return False


def _split_date_match(claim: DateValue, dates: Sequence[DateValue]) -> bool:
    """Whether a full date is stated in two parts, as table headers do ("December 31," over a
    "2019" column): its day and month in one place and its year in another."""
    if claim.year is None or claim.month is None:
        return False
    without_year = DateValue(None, claim.month, claim.day, claim.quarter, claim.ambiguous)
    return any(found.year == claim.year for found in dates) and any(
        _dates_match(without_year, found) for found in dates
    )


@dataclass(frozen=True)
class PassageFacts:
    """What one passage offers for matching: its figures, its dates, its normalised words and
    the scale it declares for bare figures ("in millions")."""

    quantities: tuple[Quantity, ...]
    dates: tuple[DateValue, ...]
    words: str
    scale: Decimal | None


_ORDERED_NUMBER_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_SPELLED_NUMBERS = {
    word: value
    for value, word in enumerate(
        _ORDERED_NUMBER_WORDS.split(),
    )
    if value >= 2
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_SPELLED_NUMBERS |= {"ninety": 90, "hundred": 100}
_SPELLED_NUMBER = re.compile(r"\b(?:" + "|".join(_SPELLED_NUMBERS) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _index_passage(text: str) -> PassageFacts:
    """A passage's facts; its spelled-out numbers from two to a hundred count as figures too
    ("the ten largest customers" states 10)."""
    facts = _extract(text, parties=False)
    declared = _PASSAGE_SCALE.search(text)
    scale = _SCALE_WORDS[declared.group("scale").lower()[:-1]] if declared else None
    spelled = [
        Quantity(Decimal(_SPELLED_NUMBERS[m.group().lower()]))
        for m in _SPELLED_NUMBER.finditer(text)
    ]
    return PassageFacts(
        quantities=tuple(f.value for f in facts if isinstance(f.value, Quantity)) + tuple(spelled),
        dates=tuple(f.value for f in facts if isinstance(f.value, DateValue)),
        words=f" {normalise_name(text)} ",
        scale=scale,
    )


@dataclass
class EvidenceIndex:
    """The facts of a set of passages, ready to be asked whether they support a fact."""

    passages: tuple[PassageFacts, ...]

    @classmethod
    def build(cls, texts: Iterable[str]) -> EvidenceIndex:
        return cls(tuple(_index_passage(text) for text in texts))

    def supports(self, fact: Fact) -> bool:
        """Whether any passage states ``fact``. A scale declared in one passage ("in millions")
        applies to the bare figures of all of them: a table and the note naming its unit are
        often separate passages."""
        value = fact.value
        if isinstance(value, Quantity):
            scales = {p.scale for p in self.passages if p.scale is not None}
            return any(
                _quantities_match(value, found, scales)
                for passage in self.passages
                for found in passage.quantities
            )
        if isinstance(value, DateValue):
            dates = [found for passage in self.passages for found in passage.dates]
            if any(_dates_match(value, found) for found in dates):
                return True
            return _split_date_match(value, dates)
        return any(f" {value} " in passage.words for passage in self.passages)


# --- the detector -------------------------------------------------------------------------------

DEFAULT_PENALTIES: Mapping[FactKind, float] = {
    FactKind.NUMBER: 0.8,
    FactKind.AMOUNT: 0.8,
    FactKind.PERCENTAGE: 0.8,
    FactKind.DATE: 0.7,
    FactKind.PARTY: 0.5,
}


def support_probability(
    missing: Sequence[FactKind], penalties: Mapping[FactKind, float] = DEFAULT_PENALTIES
) -> float:
    """Probability that a sentence is supported, given the kinds of its distinct missing facts.

    Each missing fact is taken as independent evidence of an unsupported claim and multiplies the
    probability by ``1 - penalty`` of its kind: 1.0 with nothing missing, 0.2 with one missing
    figure, 0.04 with two, 0.5 with one missing party. Found facts do not offset missing ones (a
    correct year does not excuse a wrong amount), so the result only falls as facts go missing.
    Parties weigh least because name extraction is the least certain of the checks. A sentence
    with nothing checkable gets 1.0: this detector has no objection, and other detectors judge
    the rest.
    """
    probability = 1.0
    for kind in missing:
        probability *= 1.0 - penalties[kind]
    return probability


@dataclass
class FactDetector:
    """Flags sentences whose numbers, amounts, percentages, dates or parties are in none of the
    passages they are judged against."""

    penalties: Mapping[FactKind, float] = field(default_factory=lambda: dict(DEFAULT_PENALTIES))

    @property
    def name(self) -> str:
        return "facts"

    def warm_up(self) -> None:
        """Nothing to load."""

    def detect(self, item: DetectionInput) -> tuple[SentenceSupport, ...]:
        return tuple(
            self._judge(
                sentence.text,
                EvidenceIndex.build(item.evidence_for(index)),
                "cited" if sentence.cited else "retrieved",
            )
            for index, sentence in enumerate(item.sentences)
        )

    def _judge(self, text: str, evidence: EvidenceIndex, where: str) -> SentenceSupport:
        missing = [fact for fact in extract_facts(text) if not evidence.supports(fact)]
        distinct: dict[tuple[FactKind, object], Fact] = {}
        for fact in missing:
            distinct.setdefault((fact.kind, fact.value), fact)
        reasons = tuple(f"{fact.text} appears in no {where} passage" for fact in distinct.values())
        return SentenceSupport(
            probability=support_probability(
                [fact.kind for fact in distinct.values()], self.penalties
            ),
            unsupported=tuple(fact.span for fact in missing),
            reasons=reasons,
        )
