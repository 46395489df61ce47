"""The span reader as a pipeline stage: the words of a passage that answer the question, with
a calibrated probability that they are right, or nothing.

A short factual question (a governing law, a notice period, a dose, a date) is answered by
words the documents already contain. The trained span scorer proposes the best words of each
passage; how sure it is, how strongly another passage offers something else, how much of the
question the sentence around the words shares and whether they are the kind of answer the
question asks for tell whether to trust them. A logistic model over those signals, fitted
offline (``training.reading.fit_span_calibrator``), turns them into a probability; the most
likely right proposal is the reading, and one below ``min_confidence`` is dropped, so the
language model drafts the answer instead. Words about another period than the one the question
names (a FY2024 headcount for a FY2023 question) are never proposed, and a question that asks
for a computation (a change, an average, a ratio) or for one value per period ("in 2019 and
2018 respectively") is never answered with one run of copied words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from assistant.logistic import Logistic
from assistant.reading.answer_kind import expected_answer
from assistant.reading.question import Operation, periods_of, read_question, terms_of
from assistant.reading.span_model import SpanCandidate

BUNDLED_SPAN_CALIBRATOR = Path(__file__).resolve().parent.parent / "models" / "span_calibrator.json"
FEATURES = (
    "margin",
    "share",
    "rival_margin",
    "sentence_overlap",
    "passage_rank",
    "words",
    "kind_match",
)
FORMAT_VERSION = 2
NO_RIVAL = -10.0
"""The rival margin used when no other passage offers a different answer."""
MAX_WORDS = 12
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")
_EMPHASIS = re.compile(r"\*\*|__|`")
_SPELLED_BEFORE = re.compile(r"[A-Za-z-]+\s*$")
_NEXT_WORD = re.compile(r"\s*[(]?[\w%/.-]*[\w%)]")
MAX_WORDS_ADDED = 3
_ALTOGETHER = re.compile(r"\baltogether\b|\bin\s+total\b|\bcombined\b", re.IGNORECASE)
_YES_OR_NO = re.compile(
    r"^\s*(?:is|are|was|were|do|does|did|can|could|should|will|would|has|have|had|may|might"
    r"|must)\b",
    re.IGNORECASE,
)
"""A question opening with an auxiliary verb asks for yes or no, which copied words do not
give."""
_EXPLAINS = re.compile(
    r"^\s*(?:how|why)\b(?!\s+(?:many|much|long|often|old|far|large|big|high|low)\b)"
    r"|\bwhat\s+(?:does|do|did)\b.*\b(?:represent|include|mean|refer|consist|cover|comprise)",
    re.IGNORECASE,
)
"""Questions that ask how or why, or what something means: a fragment does not answer them."""


class Spans(Protocol):
    """Finds the best answer span of each passage (``assistant.reading.span_model``)."""

    def candidates(self, question: str, passages: Sequence[str]) -> list[SpanCandidate]: ...


@dataclass(frozen=True)
class SpanReading:
    """An answer made of words copied from one passage.

    ``passage`` is 1-based (``[n]``); ``sentence`` is the sentence of the passage the words sit
    in. ``margin`` and ``share`` are the scorer's (``SpanCandidate``), ``rival_margin`` the
    margin of the best different answer in another passage, ``sentence_overlap`` the share of
    the question's terms that the sentence holds, ``kind_match`` 1 when the words are the kind
    of answer the question's wording asks for, 0 when not, 0.5 when the wording does not say.
    ``confidence`` is the calibrated probability that the reading is right, once judged.
    """

    text: str
    value: str
    passage: int
    sentence: str
    margin: float
    share: float
    rival_margin: float
    sentence_overlap: float
    kind_match: float
    confidence: float | None = None


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that holds the characters ``start:end`` (to its end, at least)."""
    begin = 0
    for match in _SENTENCE_BREAK.finditer(text):
        if match.start() > start:
            return text[begin : max(match.start(), end)].strip()
        begin = match.end()
    return text[begin:].strip()


def whole_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``start:end`` widened to whole brackets, with the spelled-out number before a numeral
    in brackets ("thirty (30) days", not "30) days")."""
    piece = text[start:end]
    if piece.count(")") > piece.count("("):
        opening = text.rfind("(", 0, start)
        if opening >= 0:
            start = opening
            before = _SPELLED_BEFORE.search(text, max(0, start - 20), start)
            if before is not None:
                start = before.start()
    elif piece.count("(") > piece.count(")"):
        closing = text.find(")", end)
        if closing >= 0:
            end = closing + 1
    return start, end


def _overlap(question: str, sentence: str) -> float:
    wanted = terms_of(question)
    return len(wanted & terms_of(sentence)) / len(wanted) if wanted else 0.0


def completed_for_kind(question: str, text: str, start: int, end: int) -> int:
    """The end of ``start:end`` taken on by up to ``MAX_WORDS_ADDED`` words when that makes
    it the kind of answer the question asks for ("forty-eight" -> "forty-eight (48) hours");
    ``end`` when it already is one, or no such words follow."""
    expected = expected_answer(question)
    if expected is None or expected.pattern.search(text[start:end]):
        return end
    stop = end
    for _ in range(MAX_WORDS_ADDED):
        word = _NEXT_WORD.match(text, stop)
        if word is None or word.end() == stop:
            return end
        stop = word.end()
        if expected.pattern.search(text[start:stop]):
            return stop
    return end


def _kind_match(question: str, value: str) -> float:
    expected = expected_answer(question)
    if expected is None:
        return 0.5
    return 1.0 if expected.pattern.search(value) else 0.0


def other_period(question: str, sentence: str, passage: str) -> bool:
    """Whether the question names years and the sentence (or, when it names none, its
    passage) names only other years."""
    wanted = {p.year for p in periods_of(question)}
    if not wanted:
        return False
    named = {p.year for p in periods_of(sentence)} or {p.year for p in periods_of(passage)}
    return bool(named) and not named & wanted


def _wording(value: str, passage: int) -> str:
    return f"{value.rstrip('.,;:')} [{passage}]."


def readings(question: str, passages: Sequence[str], spans: Spans) -> list[SpanReading]:
    """A reading for the best span of each passage (``passages[n - 1]`` is ``[n]``),
    unjudged."""
    found = spans.candidates(question, passages)
    out = []
    for candidate in found:
        text = passages[candidate.passage]
        start, end = whole_span(text, candidate.start, candidate.end)
        end = completed_for_kind(question, text, start, end)
        value = " ".join(_EMPHASIS.sub("", text[start:end]).split())
        if not value:
            continue
        rival = max(
            (c.margin for c in found if c.text.lower() != candidate.text.lower()),
            default=NO_RIVAL,
        )
        sentence = sentence_around(text, start, end)
        if other_period(question, sentence, text):
            continue
        out.append(
            SpanReading(
                text=_wording(value, candidate.passage + 1),
                value=value,
                passage=candidate.passage + 1,
                sentence=sentence,
                margin=candidate.margin,
                share=candidate.share,
                rival_margin=rival,
                sentence_overlap=_overlap(question, sentence),
                kind_match=_kind_match(question, value),
            )
        )
    return out


def span_features(reading: SpanReading) -> list[float]:
    """The feature vector of ``reading``, in ``FEATURES`` order."""
    return [
        reading.margin,
        reading.share,
        reading.rival_margin,
        reading.sentence_overlap,
        1 / reading.passage,
        min(len(reading.value.split()), MAX_WORDS) / MAX_WORDS,
        reading.kind_match,
    ]


def load_span_calibrator(path: Path = BUNDLED_SPAN_CALIBRATOR) -> Logistic:
    """The fitted weights over ``FEATURES``; refuses a file fitted for other features."""
    return Logistic.load(path, features=FEATURES, format_version=FORMAT_VERSION)


class SpanReader:
    """``read(question, passages)`` -> the most likely right span reading with its
    ``confidence``, or ``None`` when even that one is below ``min_confidence``; ``best`` gives
    that reading whatever its confidence, for the answer check to compare with a draft."""

    def __init__(self, spans: Spans, calibrator: Logistic, *, min_confidence: float) -> None:
        if not 0 <= min_confidence <= 1:
            raise ValueError("min_confidence must be in [0, 1]")
        self._spans = spans
        self._calibrator = calibrator
        self._min_confidence = min_confidence

    def accepts(self, reading: SpanReading | None) -> bool:
        """Whether ``reading`` is confident enough to be the answer."""
        return reading is not None and (reading.confidence or 0.0) >= self._min_confidence

    def read(self, question: str, passages: Sequence[str]) -> SpanReading | None:
        """The best reading when it is confident enough to be the answer."""
        best = self.best(question, passages)
        return best if self.accepts(best) else None

    def best(self, question: str, passages: Sequence[str]) -> SpanReading | None:
        """The most likely right proposal of the kind the question asks for, judged; none for
        a question that asks for a computation (over periods, or relating two items) or for
        values of several periods, or for a yes or a no. A question asking how or why is
        answered with the whole sentence the words sit in."""
        if _YES_OR_NO.match(question):
            return None
        facts = read_question(question)
        if facts.operation is not Operation.LOOKUP or len(facts.periods) > 1:
            return None
        if facts.pair is not None or _ALTOGETHER.search(question):
            return None
        judged = [
            replace(r, confidence=self._calibrator.probability(span_features(r)))
            for r in readings(question, passages, self._spans)
            if r.kind_match > 0
        ]
        best = max(judged, key=lambda r: r.confidence or 0.0, default=None)
        if best is not None and _EXPLAINS.search(question) and best.sentence != best.value:
            sentence = " ".join(_EMPHASIS.sub("", best.sentence).split())
            return replace(best, value=sentence, text=_wording(sentence, best.passage))
        return best
