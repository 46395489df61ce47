"""Reading the citations out of a generated answer.

The answer is split into sentences and each sentence is mapped to the passage numbers it cites.
A citation of a passage that was not shown (say [7] when there were five) is removed from the
text and reported, since it points at nothing a reader could check. A sentence that is the
abstention sentence is recognised even with small variations of case or punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CITATION_MARK = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]")
"""A citation mark as answers write it: "[2]", "[1, 3]", "[2-4]"."""
_MARKER = re.compile(r"\s*\[(\d{1,4}(?:\s*[,;–-]\s*\d{1,4})*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\[\"“(A-Z0-9$€£])")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d{1,4}(?:\s*[,;–-]\s*\d{1,4})*\])+")
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|no|nos|art|sec|fig|inc|ltd|co|corp|mr|mrs|ms|dr|st|u\.s|approx)"
    r"|\b[A-Z])\.$",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"[^a-z ]+")
_ABSTENTION_FORMS = frozenset({"the documents do not say", "the documents dont say"})
_MAX_RANGE = 50


@dataclass(frozen=True)
class CitedSentence:
    """One sentence of an answer, its text without citation markers, and the valid passage
    numbers (1-based) it cites."""

    text: str
    citations: tuple[int, ...]
    is_abstention: bool = False


@dataclass(frozen=True)
class ParsedAnswer:
    """An answer's sentences, its text with invalid citations removed, the invalid passage
    numbers that were cited, and whether it claims nothing beyond abstaining."""

    text: str
    sentences: tuple[CitedSentence, ...]
    invalid_citations: tuple[int, ...]
    abstained: bool

    @property
    def cited(self) -> tuple[int, ...]:
        """Every valid passage number cited, in order of first citation."""
        return tuple(dict.fromkeys(n for s in self.sentences for n in s.citations))


def _numbers(inside: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", inside.strip()):
        bounds = [int(b) for b in re.split(r"\s*[–-]\s*", part) if b]
        if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= _MAX_RANGE:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def is_abstention(sentence: str) -> bool:
    """Whether ``sentence`` (citations already removed) is the abstention sentence."""
    normalised = " ".join(_LETTERS.sub("", sentence.lower().replace("’", "'")).split())
    return normalised in _ABSTENTION_FORMS


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``; citation markers that open a sentence belong to the one before
    ("... rose. [2] Costs fell." cites [2] for the first sentence)."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        if _ABBREVIATION.search(candidate):
            continue
        pieces.append(candidate)
        start = match.end()
    pieces.append(text[start:].strip())
    sentences: list[str] = []
    for piece in pieces:
        leading = _LEADING_MARKERS.match(piece)
        if leading and sentences:
            sentences[-1] += " " + leading.group(0).strip()
            piece = piece[leading.end() :].strip()
        if piece:
            sentences.append(piece)
    return sentences


def parse_answer(text: str, passage_count: int) -> ParsedAnswer:
    """Sentences of ``text`` with their citations checked against ``passage_count`` passages."""
    sentences: list[CitedSentence] = []
    invalid: list[int] = []
    kept_texts: list[str] = []
    for sentence in split_sentences(text):
        valid: list[int] = []

        def keep_valid(match: re.Match[str], valid: list[int] = valid) -> str:
            numbers = _numbers(match.group(1))
            good = [n for n in numbers if 1 <= n <= passage_count]
            invalid.extend(n for n in numbers if not 1 <= n <= passage_count)
            valid.extend(n for n in good if n not in valid)
            return " " + "".join(f"[{n}]" for n in good) if good else ""

        checked = _MARKER.sub(keep_valid, sentence).strip()
        bare = " ".join(_MARKER.sub("", sentence).split())
        bare = re.sub(r"\s+([.,;:!?])", r"\1", bare)
        kept_texts.append(re.sub(r"\s+([.,;:!?])", r"\1", checked))
        sentences.append(CitedSentence(bare, tuple(valid), is_abstention(bare)))
    return ParsedAnswer(
        text=" ".join(t for t in kept_texts if t),
        sentences=tuple(s for s in sentences if s.text),
        invalid_citations=tuple(dict.fromkeys(invalid)),
        abstained=all(s.is_abstention for s in sentences if s.text),
    )
