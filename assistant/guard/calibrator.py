"""Confidence that an answer is right, from signals about how it was made and checked.

Features (``answer_features``): the detectors' lowest and mean sentence support, the share of the
answer's content words found in no passage it was judged against (lexical grounding), the
generator's mean and lowest token log-probabilities, the share of sentences that cite a passage,
how much of the question the evidence covers (a retrieval agreement signal computed the same
way whatever retriever found the passages), how much of the question the passage sentence
the answer's claim comes from shares (provenance: a right value copied from the wrong sentence
scores low), and whether the span reader, a second model that reads the same passages, points
at the same words (agreement of two readers, weighted by its own confidence). Answer length is
deliberately not a feature.

The mapping is a logistic regression on standardised features (Platt scaling of a linear
score, ``assistant.logistic``) fitted offline on answers labelled correct or incorrect
(``training.guard.fit_calibrator``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.guard.evidence import content_terms
from assistant.logistic import Logistic

BUNDLED_CALIBRATOR = Path(__file__).resolve().parent.parent / "models" / "calibrator.json"
FEATURES = (
    "support_min",
    "support_mean",
    "absent_share",
    "logprob_mean",
    "logprob_low",
    "cited_share",
    "question_coverage",
    "source_relevance",
    "reader_agreement",
    "reader_support",
    "reader_dissent",
)
FORMAT_VERSION = 3


@dataclass(frozen=True)
class AnswerSignals:
    """What the calibrator reads about one answer."""

    supports: tuple[float, ...]
    absent_share: float
    token_logprobs: tuple[float, ...]
    cited_sentences: int
    sentences: int
    question: str
    evidence: tuple[str, ...]
    source_relevance: float = 1.0
    reader_agreement: float = 0.0
    reader_confidence: float | None = None
    """The span reader's confidence in its own best reading; ``None`` when it had none."""


def question_coverage(question: str, evidence: Sequence[str]) -> float:
    """Share of the question's content terms found in the evidence."""
    wanted = content_terms(question)
    if not wanted:
        return 0.0
    found: set[str] = set()
    for passage in evidence:
        found |= content_terms(passage) & wanted
    return len(found) / len(wanted)


def absent_share(sentences: Sequence[str], evidence: Sequence[str]) -> float:
    """Share of the answer's content words and numbers that appear in none of the passages."""
    wanted: set[str] = set()
    for sentence in sentences:
        wanted |= content_terms(sentence)
    if not wanted:
        return 0.0
    found: set[str] = set()
    for passage in evidence:
        found |= content_terms(passage) & wanted
    return 1.0 - len(found) / len(wanted)


def answer_features(signals: AnswerSignals) -> list[float]:
    """The feature vector, in ``FEATURES`` order."""
    agreed = signals.reader_agreement
    guessed = signals.reader_confidence or 0.0
    supports = signals.supports or (0.0,)
    logprobs = sorted(signals.token_logprobs) or [-10.0]
    low = logprobs[: max(1, len(logprobs) // 10)]
    return [
        min(supports),
        sum(supports) / len(supports),
        signals.absent_share,
        max(-10.0, sum(logprobs) / len(logprobs)),
        max(-20.0, sum(low) / len(low)),
        signals.cited_sentences / signals.sentences if signals.sentences else 0.0,
        question_coverage(signals.question, signals.evidence),
        signals.source_relevance,
        agreed,
        guessed if agreed > 0 else 0.0,
        guessed if agreed == 0 else 0.0,
    ]


class Calibrator(Logistic):
    """A fitted logistic mapping from ``FEATURES`` to the probability the answer is correct."""

    def save(
        self,
        path: Path,
        *,
        features: Sequence[str] = FEATURES,
        format_version: int = FORMAT_VERSION,
    ) -> None:
        super().save(path, features=features, format_version=format_version)

    @classmethod
    def load(
        cls,
        path: Path = BUNDLED_CALIBRATOR,
        *,
        features: Sequence[str] = FEATURES,
        format_version: int = FORMAT_VERSION,
    ) -> Calibrator:
        model = Logistic.load(path, features=features, format_version=format_version)
        return cls(model.means, model.scales, model.weights, model.bias, model.fitted_on)
