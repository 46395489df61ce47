"""How well a confidence means what it says: calibration error, reliability and risk-coverage."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ReliabilityBin:
    """Answers whose confidence fell in ``[low, high)``: how many, how confident, how right."""

    low: float
    high: float
    count: int
    confidence: float
    accuracy: float


def reliability(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> list[ReliabilityBin]:
    """Equal-width bins over [0, 1]; the last bin includes 1.0. Empty bins are left out."""
    if len(confidences) != len(correct):
        raise ValueError("confidences and labels differ in length")
    grouped: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for confidence, right in zip(confidences, correct, strict=True):
        grouped[min(bins - 1, int(confidence * bins))].append((confidence, right))
    return [
        ReliabilityBin(
            low=index / bins,
            high=(index + 1) / bins,
            count=len(items),
            confidence=sum(c for c, _ in items) / len(items),
            accuracy=sum(r for _, r in items) / len(items),
        )
        for index, items in enumerate(grouped)
        if items
    ]


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """Mean gap between confidence and accuracy over the bins, weighted by bin size."""
    total = len(confidences)
    if total == 0:
        raise ValueError("no answers to measure")
    return sum(
        b.count / total * abs(b.confidence - b.accuracy)
        for b in reliability(confidences, correct, bins)
    )


@dataclass(frozen=True)
class CalibrationNoise:
    """The calibration error a perfectly calibrated confidence would show on a sample this
    small: its mean, and the level it stays under in 95% of samples."""

    mean: float
    p95: float


def calibration_noise(
    confidences: Sequence[float], bins: int = 10, draws: int = 2000, seed: int = 0
) -> CalibrationNoise:
    """Expected calibration error when each answer is right with exactly its stated
    confidence, over ``draws`` simulated label sets (fixed ``seed``).

    On a few dozen answers the error measured for a flawless confidence is far from 0, so a
    measured error can only be read against this floor: below its 95% level, the sample
    cannot tell the confidence from a perfectly calibrated one.
    """
    if not confidences:
        raise ValueError("no answers to measure")
    rng = random.Random(seed)
    errors = [
        expected_calibration_error(
            confidences, [rng.random() < confidence for confidence in confidences], bins
        )
        for _ in range(draws)
    ]
    return CalibrationNoise(
        mean=sum(errors) / len(errors), p95=float(np.percentile(errors, 95, method="higher"))
    )


def risk_coverage(
    confidences: Sequence[float], correct: Sequence[bool]
) -> list[tuple[float, float]]:
    """(coverage, accuracy of the answers kept) when keeping the most confident answers first,
    one point per answer kept."""
    ranked = sorted(zip(confidences, correct, strict=True), key=lambda pair: -pair[0])
    points = []
    right = 0
    for kept, (_, is_right) in enumerate(ranked, start=1):
        right += is_right
        points.append((kept / len(ranked), right / kept))
    return points


def accuracy_at_coverage(curve: Sequence[tuple[float, float]], coverage: float) -> float:
    """Accuracy of the kept answers at the first point reaching ``coverage``."""
    for kept, accuracy in curve:
        if kept >= coverage - 1e-9:
            return accuracy
    raise ValueError("coverage beyond the curve")
