"""The span reader as a pipeline stage: the words of a passage that answer the question, with
a calibrated probability that they are right, or nothing.

A short factual question (a governing law, a notice period, a dose, a date) is answered by
words the documents already contain. The trained span scorer points at them; how sure it is,
how clearly one passage wins over the others and how much of the question the sentence around
the span shares tell whether to trust it. A logistic model over those signals, fitted offline
(``training.reading.fit_span_calibrator``), turns them into a probability; a reading below
``min_confidence`` is dropped, so the language model drafts the answer instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from assistant.logistic import Logistic
from assistant.reading.question import terms_of
from assistant.reading.span_model import SpanCandidate

BUNDLED_SPAN_CALIBRATOR = Path(__file__).resolve().parent.parent / "models" / "span_calibrator.json"
FEATURES = ("margin", "share", "rival_margin", "sentence_overlap", "passage_rank", "words")
FORMAT_VERSION = 1
NO_RIVAL = -10.0
"""The rival margin used when no other passage offers a different answer."""
MAX_WORDS = 12
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+")


class Spans(Protocol):
    """Finds the best answer span of each passage (``assistant.reading.span_model``)."""

    def candidates(self, question: str, passages: Sequence[str]) -> list[SpanCandidate]: ...


@dataclass(frozen=True)
class SpanReading:
    """An answer made of words copied from one passage.

    ``passage`` is 1-based (``[n]``); ``sentence`` is the sentence of the passage the words sit
    in. ``margin`` and ``share`` are the scorer's (``SpanCandidate``), ``rival_margin`` the
    margin of the best different answer in another passage, ``sentence_overlap`` the share of
    the question's terms that the sentence holds. ``confidence`` is the calibrated probability
    that the reading is right, once judged.
    """

    text: str
    value: str
    passage: int
    sentence: str
    margin: float
    share: float
    rival_margin: float
    sentence_overlap: float
    confidence: float | None = None


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that holds the characters ``start:end`` (to its end, at least)."""
    begin = 0
    for match in _SENTENCE_BREAK.finditer(text):
        if match.start() > start:
            return text[begin : max(match.start(), end)].strip()
        begin = match.end()
    return text[begin:].strip()


def _overlap(question: str, sentence: str) -> float:
    wanted = terms_of(question)
    return len(wanted & terms_of(sentence)) / len(wanted) if wanted else 0.0


def _wording(value: str, passage: int) -> str:
    return f"{value.rstrip('.,;:')} [{passage}]."


def read_span(question: str, passages: Sequence[str], spans: Spans) -> SpanReading | None:
    """The best span among ``passages`` (``passages[n - 1]`` is ``[n]``), unjudged."""
    found = spans.candidates(question, passages)
    if not found:
        return None
    best = found[0]
    value = best.text
    rival = max(
        (c.margin for c in found[1:] if c.text.lower() != value.lower()), default=NO_RIVAL
    )
    sentence = sentence_around(passages[best.passage], best.start, best.end)
    return SpanReading(
        text=_wording(value, best.passage + 1),
        value=value,
        passage=best.passage + 1,
        sentence=sentence,
        margin=best.margin,
        share=best.share,
        rival_margin=rival,
        sentence_overlap=_overlap(question, sentence),
    )


def span_features(reading: SpanReading) -> list[float]:
    """The feature vector of ``reading``, in ``FEATURES`` order."""
    return [
        reading.margin,
        reading.share,
        reading.rival_margin,
        reading.sentence_overlap,
        1 / reading.passage,
        min(len(reading.value.split()), MAX_WORDS) / MAX_WORDS,
    ]


def load_span_calibrator(path: Path = BUNDLED_SPAN_CALIBRATOR) -> Logistic:
    """The fitted weights over ``FEATURES``; refuses a file fitted for other features."""
    return Logistic.load(path, features=FEATURES, format_version=FORMAT_VERSION)


class SpanReader:
    """``read(question, passages)`` -> a span reading with its ``confidence``, or ``None``."""

    def __init__(self, spans: Spans, calibrator: Logistic, *, min_confidence: float) -> None:
        if not 0 <= min_confidence <= 1:
            raise ValueError("min_confidence must be in [0, 1]")
        self._spans = spans
        self._calibrator = calibrator
        self._min_confidence = min_confidence

    def read(self, question: str, passages: Sequence[str]) -> SpanReading | None:
        reading = read_span(question, passages, self._spans)
        if reading is None:
            return None
        confidence = self._calibrator.probability(span_features(reading))
        if confidence < self._min_confidence:
            return None
        return replace(reading, confidence=confidence)
