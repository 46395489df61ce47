"""Confidence that an answer is right, from signals about how it was made and checked.

Features (``answer_features``): the detectors' lowest and mean sentence support, the share of the
answer's content words found in no passage it was judged against (lexical grounding), the
generator's mean and lowest token log-probabilities, the share of sentences that cite a passage,
and how much of the question the evidence covers (a retrieval agreement signal computed the same
way whatever retriever found the passages). Answer length is deliberately not a feature.

The mapping is a logistic regression on standardised features (Platt scaling of a linear
score), fitted by Newton's method with a small ridge penalty on answers labelled correct or
incorrect, then stored as JSON next to the other trained artefacts; it is small enough to read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.guard.evidence import content_terms

BUNDLED_CALIBRATOR = Path(__file__).resolve().parent.parent / "models" / "calibrator.json"
FEATURES = (
    "support_min",
    "support_mean",
    "absent_share",
    "logprob_mean",
    "logprob_low",
    "cited_share",
    "question_coverage",
)
FORMAT_VERSION = 2


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
    ]


@dataclass(frozen=True)
class Calibrator:
    """A fitted logistic mapping from features to the probability the answer is correct."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    fitted_on: int = 0

    def probability(self, features: Sequence[float]) -> float:
        if len(features) != len(self.weights):
            raise ValueError(f"expected {len(self.weights)} features, got {len(features)}")
        score = self.bias + sum(
            w * (x - m) / s
            for w, x, m, s in zip(self.weights, features, self.means, self.scales, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def save(self, path: Path) -> None:
        payload = {
            "format_version": FORMAT_VERSION,
            "features": list(FEATURES),
            "means": list(self.means),
            "scales": list(self.scales),
            "weights": list(self.weights),
            "bias": self.bias,
            "fitted_on": self.fitted_on,
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path = BUNDLED_CALIBRATOR) -> Calibrator:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format_version") != FORMAT_VERSION or payload.get("features") != list(
            FEATURES
        ):
            raise ValueError(f"{path} was fitted for other features; refit the calibrator")
        return cls(
            means=tuple(payload["means"]),
            scales=tuple(payload["scales"]),
            weights=tuple(payload["weights"]),
            bias=float(payload["bias"]),
            fitted_on=int(payload.get("fitted_on", 0)),
        )


def fit_calibrator(
    features: Sequence[Sequence[float]], labels: Sequence[bool], *, ridge: float = 1.0
) -> Calibrator:
    """Logistic regression by Newton's method; needs both correct and incorrect answers."""
    x = np.asarray(features, dtype=float)
    y = np.asarray(labels, dtype=float)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ValueError("features and labels must be non-empty and of the same length")
    if y.min() == y.max():
        raise ValueError("calibration needs both correct and incorrect answers")
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - means) / scales])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * ridge
    penalty[0, 0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian + np.eye(len(w)) * 1e-9, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return Calibrator(
        means=tuple(float(v) for v in means),
        scales=tuple(float(v) for v in scales),
        weights=tuple(float(v) for v in w[1:]),
        bias=float(w[0]),
        fitted_on=len(x),
    )
