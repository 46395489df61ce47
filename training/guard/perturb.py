"""Minimal edits that turn a supported answer into an unsupported one, for training and
evaluating hallucination detectors.

Each edit changes one small part of the answer and leaves the rest word for word, so a detector
that tells the pair apart must have noticed that part, not the answer's length or style:

* ``number``: one figure gets a different digit, keeping its format (separators, decimals,
  currency, scale) and length ("$1,496.5 million" -> "$1,486.5 million").
* ``date``: the year, month, day or quarter of a date moves ("March 3, 2021" -> "March 3, 2019").
* ``party``: a named party becomes another one: the counterpart of a contract role
  ("Licensee" -> "Licensor"), another name of the same shape found in the evidence, or, for a
  company the evidence names no other of, a made-up company.
* ``unit``: a scale or unit changes ("million" -> "billion", "%" -> "percentage points",
  "mg" -> "g", "30 days" -> "30 months").
* ``negation``: the claim is reversed ("shall" -> "shall not", "does not" -> "does",
  "increased" -> "decreased", "Yes" -> "No").

Changed figures and dates are checked against the evidence with the fact checker, so the edited
answer states something the evidence does not; a party swap may use a name from the evidence on
purpose, as a realistic mix-up. An edit changes the answer's length by at most 15% (at least a
few characters are always allowed, so that "Yes" may become "No"). Results depend only on the
inputs and the seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assistant.guard.facts import (
    ROLE_WORDS,
    DateValue,
    EvidenceIndex,
    Fact,
    FactKind,
    Quantity,
    extract_facts,
    normalise_name,
)
from assistant.guard.protocols import Span

EDIT_TYPES = ("number", "date", "party", "unit", "negation")


@dataclass(frozen=True)
class Edit:
    """An edited answer: ``span`` is the replaced part in ``text``, ``original_span`` the part
    of the original answer it replaced, ``length_change`` the change in characters."""

    edit_type: str
    text: str
    span: Span
    original_span: Span
    length_change: int


@dataclass(frozen=True)
class _Site:
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class _Context:
    answer: str
    evidence_text: str
    index: EvidenceIndex
    facts: tuple[Fact, ...]


def max_length_change(length: int) -> int:
    """The largest change in characters allowed for an answer of ``length`` characters."""
    return max(4, int(length * 0.15))


def perturb(answer: str, evidence: Sequence[str], edit_type: str, seed: int | str) -> Edit | None:
    """One edit of ``edit_type`` that makes ``answer`` unsupported by ``evidence``, or ``None``
    when the answer holds nothing that edit applies to."""
    if edit_type not in _EDITORS:
        raise ValueError(f"unknown edit type {edit_type!r}; expected one of {EDIT_TYPES}")
    return _perturb(_context(answer, evidence), edit_type, seed)


def perturb_all(answer: str, evidence: Sequence[str], seed: int | str) -> dict[str, Edit | None]:
    """An edit of every type (``None`` where a type does not apply), keyed by type."""
    context = _context(answer, evidence)
    return {edit_type: _perturb(context, edit_type, seed) for edit_type in EDIT_TYPES}


def _context(answer: str, evidence: Sequence[str]) -> _Context:
    return _Context(
        answer=answer,
        evidence_text="\n".join(evidence),
        index=EvidenceIndex.build(evidence),
        facts=extract_facts(answer),
    )


def _perturb(context: _Context, edit_type: str, seed: int | str) -> Edit | None:
    rng = random.Random(f"{seed}/{edit_type}")
    budget = max_length_change(len(context.answer))
    for site in _EDITORS[edit_type](context, rng):
        change = len(site.replacement) - (site.end - site.start)
        if abs(change) > budget or site.replacement == context.answer[site.start : site.end]:
            continue
        text = context.answer[: site.start] + site.replacement + context.answer[site.end :]
        return Edit(
            edit_type=edit_type,
            text=text,
            span=Span(site.start, site.start + len(site.replacement)),
            original_span=Span(site.start, site.end),
            length_change=change,
        )
    return None


def _shuffled(items: Sequence[Fact], rng: random.Random) -> list[Fact]:
    shuffled = list(items)
    rng.shuffle(shuffled)
    return shuffled


def _unsupported(context: _Context, site: _Site) -> bool:
    """Whether the fact the edit creates is stated nowhere in the evidence."""
    text = context.answer[: site.start] + site.replacement + context.answer[site.end :]
    end = site.start + len(site.replacement)
    created = [
        fact for fact in extract_facts(text) if fact.span.start < end and site.start < fact.span.end
    ]
    return bool(created) and not any(context.index.supports(fact) for fact in created)


# --- number -------------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _digit_variants(core: str, rng: random.Random) -> list[str]:
    """``core`` with one digit changed, in a seeded order that tries the two leading significant
    digits first (the changes a writer is likeliest to get wrong). A leading digit stays
    non-zero."""
    positions = [i for i, char in enumerate(core) if char.isdigit()]
    leading = [i for i in positions if core[i] != "0"][:2]
    variants: list[tuple[int, str]] = []
    for position in positions:
        lowest = 1 if position == positions[0] else 0
        for digit in "0123456789"[lowest:]:
            if digit != core[position]:
                variant = core[:position] + digit + core[position + 1 :]
                variants.append((0 if position in leading else 1, variant))
    rng.shuffle(variants)
    return [variant for _, variant in sorted(variants, key=lambda pair: pair[0])]


def _first_unsupported(context: _Context, sites: Iterable[_Site]) -> _Site | None:
    return next((site for site in sites if _unsupported(context, site)), None)


def _number_sites(context: _Context, rng: random.Random) -> list[_Site]:
    sites = []
    numeric = [f for f in context.facts if isinstance(f.value, Quantity)]
    for fact in _shuffled(numeric, rng):
        core = _DIGITS.search(fact.text)
        if core is None:
            continue
        start, end = fact.span.start + core.start(), fact.span.start + core.end()
        variants = _digit_variants(core.group(), rng)
        site = _first_unsupported(context, (_Site(start, end, v) for v in variants))
        if site is not None:
            sites.append(site)
    return sites


# --- date ---------------------------------------------------------------------------------------

_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTH_IN_TEXT = re.compile(
    r"(?P<name>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![a-z])"
)
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(?:(?:19|20)\d{2}|\d{2})(?!\d)")
_QUARTER_WORDS = ("first", "second", "third", "fourth")
_QUARTER_IN_TEXT = re.compile(
    r"(?<=Q)[1-4]|[1-4](?=Q)|\b(?:[Ff]irst|[Ss]econd|[Tt]hird|[Ff]ourth)\b"
)
_DAY_IN_TEXT = re.compile(r"(?<![\d/.-])[0-3]?\d(?=(?:st|nd|rd|th)?\b)(?![/.-]\d)")
_NUMERIC_DATE = re.compile(r"(?P<a>\d{1,4})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})")


def _ordinal(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _year_sites(fact: Fact, rng: random.Random) -> list[_Site]:
    years = list(_YEAR_IN_TEXT.finditer(fact.text))
    if not years:
        return []
    match = years[-1]
    digits = match.group()
    shifts = [-3, -2, -1, 1, 2, 3]
    rng.shuffle(shifts)
    start, end = fact.span.start + match.start(), fact.span.start + match.end()
    texts = [str(int(digits) + shift) for shift in shifts]
    if len(digits) == 2:
        texts = [f"{(int(digits) + shift) % 100:02d}" for shift in shifts]
    return [_Site(start, end, text) for text in texts]


def _month_sites(fact: Fact, rng: random.Random) -> list[_Site]:
    match = _MONTH_IN_TEXT.search(fact.text)
    if match is None:
        return []
    name = match.group("name")
    current = next(i for i, full in enumerate(_MONTH_NAMES) if full.startswith(name[:3]))
    day = fact.value.day if isinstance(fact.value, DateValue) else None
    months = [i for i in range(12) if i != current and (day or 0) <= _MONTH_DAYS[i]]
    rng.shuffle(months)
    full = name == _MONTH_NAMES[current]
    start, end = fact.span.start + match.start(), fact.span.start + match.end()
    return [_Site(start, end, _MONTH_NAMES[i] if full else _MONTH_NAMES[i][:3]) for i in months]


def _day_sites(fact: Fact, rng: random.Random) -> list[_Site]:
    numeric = _NUMERIC_DATE.search(fact.text)
    if numeric is not None:
        iso = len(numeric.group("a")) == 4
        group = "c" if iso else rng.choice(("a", "b"))
        start, end = numeric.span(group)
        width = len(numeric.group(group))
        days = [d for d in range(1, (28 if iso else 12) + 1) if d != int(numeric.group(group))]
        rng.shuffle(days)
        start, end = fact.span.start + start, fact.span.start + end
        return [_Site(start, end, f"{day:0{width}d}") for day in days]
    match = _DAY_IN_TEXT.search(fact.text)
    if match is None:
        return []
    current = match.group()
    end = match.end()
    ordinal = fact.text[end : end + 2] in {"st", "nd", "rd", "th"}
    if ordinal:
        end += 2
    days = [d for d in range(1, 29) if d != int(current)]
    rng.shuffle(days)
    sites = []
    for day in days:
        text = f"{day:02d}" if current.startswith("0") else str(day)
        sites.append(
            _Site(
                fact.span.start + match.start(),
                fact.span.start + end,
                text + _ordinal(day) if ordinal else text,
            )
        )
    return sites


def _quarter_sites(fact: Fact, rng: random.Random) -> list[_Site]:
    match = _QUARTER_IN_TEXT.search(fact.text)
    if match is None:
        return []
    found = match.group()
    if found.isdigit():
        replacements = [q for q in "1234" if q != found]
    else:
        words = [w for w in _QUARTER_WORDS if w != found.lower()]
        replacements = [w.capitalize() if found[0].isupper() else w for w in words]
    rng.shuffle(replacements)
    start, end = fact.span.start + match.start(), fact.span.start + match.end()
    return [_Site(start, end, replacement) for replacement in replacements]


def _date_sites(context: _Context, rng: random.Random) -> list[_Site]:
    sites = []
    for fact in _shuffled([f for f in context.facts if isinstance(f.value, DateValue)], rng):
        value = fact.value if isinstance(fact.value, DateValue) else DateValue()
        makers: list[Callable[[Fact, random.Random], list[_Site]]] = []
        if value.year is not None:
            makers.append(_year_sites)
        if value.month is not None:
            makers.append(_month_sites if _MONTH_IN_TEXT.search(fact.text) else _day_sites)
        if value.day is not None:
            makers.append(_day_sites)
        if value.quarter is not None:
            makers.append(_quarter_sites)
        rng.shuffle(makers)
        for maker in makers:
            site = _first_unsupported(context, maker(fact, rng))
            if site is not None:
                sites.append(site)
    return sites


# --- party --------------------------------------------------------------------------------------

_ROLE_PAIRS = (
    ("Licensee", "Licensor"),
    ("Buyer", "Seller"),
    ("Purchaser", "Vendor"),
    ("Lender", "Borrower"),
    ("Landlord", "Tenant"),
    ("Lessor", "Lessee"),
    ("Employer", "Employee"),
    ("Franchisor", "Franchisee"),
    ("Parent", "Company"),
    ("Customer", "Supplier"),
    ("Recipient", "Discloser"),
    ("Receiving Party", "Disclosing Party"),
    ("Acquirer", "Target"),
    ("Manufacturer", "Distributor"),
)
_COUNTERPART = {a: b for a, b in _ROLE_PAIRS} | {b: a for a, b in _ROLE_PAIRS}
_MADE_UP_COMPANIES = (
    "Northwind Traders Inc.",
    "Harbor Point Capital LLC",
    "Kestrel Systems Inc.",
    "Redwood Analytics Corp.",
    "Bluewater Holdings Ltd.",
    "Summit Ridge Partners LLC",
    "Maple Street Holdings Inc.",
    "Crestline Medical Group Inc.",
    "Orion Freight Ltd.",
    "Eastbrook Media LLC",
)


def _party_sites(context: _Context, rng: random.Random) -> list[_Site]:
    mentioned = {str(f.value) for f in context.facts if f.kind is FactKind.PARTY}
    evidence_names = sorted(
        {
            fact.text
            for fact in extract_facts(context.evidence_text)
            if fact.kind is FactKind.PARTY
            and fact.text not in ROLE_WORDS
            and fact.text not in _COUNTERPART
            and not any(_overlaps(str(fact.value), name) for name in mentioned)
        }
    )
    evidence_words = f" {normalise_name(context.evidence_text)} "
    made_up = [
        name for name in _MADE_UP_COMPANIES if f" {normalise_name(name)} " not in evidence_words
    ]
    sites = []
    for fact in _shuffled([f for f in context.facts if f.kind is FactKind.PARTY], rng):
        counterpart = _COUNTERPART.get(fact.text)
        if counterpart is not None:
            sites.append(_Site(fact.span.start, fact.span.end, counterpart))
            continue
        shape = _name_shape(fact.text)
        pool = [name for name in evidence_names if _name_shape(name) == shape]
        if not pool and shape[2]:
            pool = made_up
        ranked = sorted(pool, key=lambda name: (abs(len(name) - len(fact.text)), name))
        nearest, rest = ranked[:3], ranked[3:]
        rng.shuffle(nearest)
        sites.extend(_Site(fact.span.start, fact.span.end, name) for name in nearest + rest)
    return sites


def _name_shape(name: str) -> tuple[bool, bool, bool]:
    """Names swap only with names of the same shape: one word or several, in capitals or not,
    a company (ending in a suffix such as "Inc." or "LLC") or not."""
    words = name.replace(",", " ").split()
    return len(words) == 1, name.isupper(), len(normalise_name(name).split()) < len(words)


def _overlaps(name: str, other: str) -> bool:
    """Whether one normalised name contains the other as whole words."""
    return f" {name} " in f" {other} " or f" {other} " in f" {name} "


# --- unit ---------------------------------------------------------------------------------------

_UNIT_SWAPS = {
    "thousand": "million",
    "million": "billion",
    "billion": "million",
    "trillion": "billion",
    "m": "bn",
    "bn": "m",
    "k": "m",
    "%": " percentage points",
    "percent": "percentage points",
    "per cent": "percentage points",
    "percentage points": "percent",
    "percentage point": "percent",
    "basis points": "percentage points",
    "mg": "g",
    "g": "mg",
    "kg": "g",
    "mcg": "mg",
    "µg": "mg",
    "ml": "L",
    "mL": "L",
    "L": "mL",
    "day": "month",
    "days": "months",
    "week": "month",
    "weeks": "months",
    "month": "year",
    "months": "years",
    "year": "month",
    "years": "months",
    "hour": "day",
    "hours": "days",
}
_SCALE_OR_UNIT = re.compile(
    r"(?<=\d)(?P<space>[ ]?)(?P<unit>thousand|million|billion|trillion|bn|m|k|%|per cent|percent"
    r"|percentage points?|basis points|mcg|µg|mg|kg|g|mL|ml|L)(?P<plural>s?)(?![A-Za-z])"
)
_TIME_UNIT = re.compile(
    r"(?:\d|\(\d+\)|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|"
    r"twenty|thirty|forty|forty-five|sixty|ninety))[ ]+(?P<unit>days?|weeks?|months?|years?|"
    r"hours?)\b",
    re.IGNORECASE,
)


def _unit_sites(context: _Context, rng: random.Random) -> list[_Site]:
    """Scales and units of recognised figures, and time units after a number. The new phrase
    must not occur in the evidence; the figure itself may (a bare "1,496.5" in a table)."""
    candidates = []
    quantity_spans = [f.span for f in context.facts if isinstance(f.value, Quantity)]
    for match in _SCALE_OR_UNIT.finditer(context.answer):
        start, end = match.span("unit")
        if any(s.start <= start and end <= s.end for s in quantity_spans):
            replacement = _UNIT_SWAPS[match.group("unit")]
            if match.group("space"):
                replacement = replacement.strip()
            candidates.append(_Site(start, end, replacement))
    for match in _TIME_UNIT.finditer(context.answer):
        unit = match.group("unit")
        replacement = _UNIT_SWAPS[unit.lower()]
        replacement = replacement.upper() if unit.isupper() else _match_case(replacement, unit)
        candidates.append(_Site(*match.span("unit"), replacement))
    evidence = _squeezed(context.evidence_text)
    sites = []
    for site in candidates:
        phrase_start = context.answer.rfind(" ", 0, max(0, site.start - 1)) + 1
        phrase = context.answer[phrase_start : site.start] + site.replacement
        if _squeezed(phrase) not in evidence:
            sites.append(site)
    rng.shuffle(sites)
    return sites


def _squeezed(text: str) -> str:
    return " ".join(text.lower().split())


# --- negation -----------------------------------------------------------------------------------

_ANTONYMS = (
    ("increased", "decreased"),
    ("increase", "decrease"),
    ("increases", "decreases"),
    ("increasing", "decreasing"),
    ("higher", "lower"),
    ("rose", "fell"),
    ("more", "less"),
    ("above", "below"),
    ("before", "after"),
    ("positive", "negative"),
    ("improved", "worsened"),
    ("effective", "ineffective"),
    ("permitted", "prohibited"),
    ("includes", "excludes"),
    ("maximum", "minimum"),
    ("exclusive", "non-exclusive"),
    ("with", "without"),
    ("can", "cannot"),
)
_OPPOSITE = {a: b for a, b in _ANTONYMS if a != "with"} | {b: a for a, b in _ANTONYMS}
_ANTONYM = re.compile(r"\b(?:" + "|".join(sorted(_OPPOSITE, key=len, reverse=True)) + r")\b", re.I)
_AUXILIARY = r"is|was|are|were|shall|may|must|will|would|should|could|does|did|do|has|have|had"
_NEGATED = re.compile(rf"\b(?P<aux>{_AUXILIARY})(?P<not> not)\b(?! only)", re.I)
_CONTRACTED = re.compile(
    r"\b(?P<aux>is|was|are|were|does|did|do|has|have|had|could|would|should)n['’]t\b", re.I
)
_AFFIRMED = re.compile(
    rf"(?<!\bnot )(?<!n['’]t )\b(?P<aux>{_AUXILIARY})\b(?! not\b| no\b|n['’]t)", re.I
)
_MONTH_MAY = re.compile(r"May\s+\d")
_ARTICLE_BEFORE = re.compile(r"\b(?P<article>[Aa]n?)\s+$")
_NEGATION_WORD = re.compile(
    r"\b(?:no|not|never|none|nothing|neither|nor|without|cannot)\b|n['’]t\b", re.I
)
_YES_NO = re.compile(r"^\s*(?P<word>Yes|No|yes|no)\b")


def _match_case(word: str, like: str) -> str:
    return word.capitalize() if like[:1].isupper() else word


def _with_article(answer: str, site: _Site) -> _Site:
    """Extends ``site`` over a preceding "a"/"an" that the new word needs changed."""
    article = _ARTICLE_BEFORE.search(answer, 0, site.start)
    if article is None:
        return site
    wanted = "an" if site.replacement[:1].lower() in "aeiou" else "a"
    if article.group("article").lower() == wanted:
        return site
    wanted = _match_case(wanted, article.group("article"))
    return _Site(article.start(), site.end, f"{wanted} {site.replacement}")


def _negated_before(answer: str, position: int) -> bool:
    """Whether the clause before ``position`` already holds a negation."""
    clause_start = max(answer.rfind(mark, 0, position) for mark in ".;:,") + 1
    return bool(_NEGATION_WORD.search(answer, clause_start, position))


def _negation_sites(context: _Context, rng: random.Random) -> list[_Site]:
    answer = context.answer
    sites = []
    yes_no = _YES_NO.match(answer)
    if yes_no:
        word = yes_no.group("word")
        flipped = "no" if word.lower() == "yes" else "yes"
        sites.append(_Site(*yes_no.span("word"), _match_case(flipped, word)))
    for match in _ANTONYM.finditer(answer):
        word = match.group()
        opposite = _match_case(_OPPOSITE[word.lower()], word)
        sites.append(_with_article(answer, _Site(match.start(), match.end(), opposite)))
    for match in _NEGATED.finditer(answer):
        sites.append(_Site(match.start("not"), match.end("not"), ""))
    for match in _CONTRACTED.finditer(answer):
        sites.append(_Site(match.start(), match.end(), match.group("aux")))
    for match in _AFFIRMED.finditer(answer):
        if not _MONTH_MAY.match(answer, match.start()) and not _negated_before(
            answer, match.start()
        ):
            sites.append(_Site(match.start(), match.end(), f"{match.group()} not"))
            break
    rng.shuffle(sites)
    return sites


_EDITORS: dict[str, Callable[[_Context, random.Random], list[_Site]]] = {
    "number": _number_sites,
    "date": _date_sites,
    "party": _party_sites,
    "unit": _unit_sites,
    "negation": _negation_sites,
}
