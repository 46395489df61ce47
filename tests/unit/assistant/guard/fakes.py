"""Detectors and calibrators with fixed outputs, for tests of what uses them."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.guard.calibrator import FEATURES, Calibrator
from assistant.guard.protocols import DetectionInput, SentenceSupport, Span


class FixedDetector:
    """Gives each sentence the next of ``probabilities`` and records what it was shown."""

    def __init__(self, name: str, probabilities: Sequence[float], spans: bool = False) -> None:
        self._name = name
        self._probabilities = list(probabilities)
        self._spans = spans
        self.seen: list[DetectionInput] = []

    @property
    def name(self) -> str:
        return self._name

    def warm_up(self) -> None:
        """Nothing to load."""

    def detect(self, item: DetectionInput) -> tuple[SentenceSupport, ...]:
        self.seen.append(item)
        return tuple(
            SentenceSupport(
                p,
                unsupported=(Span(0, 2),) if self._spans and p < 0.5 else (),
                reasons=(f"{self._name} doubts it",) if p < 0.5 else (),
            )
            for p, _ in zip(self._probabilities, item.sentences, strict=False)
        )


def one_feature_calibrator(name: str, weight: float, mean: float, scale: float) -> Calibrator:
    """Confidence is sigmoid(weight * (feature ``name`` - mean) / scale), the others ignored."""
    at = FEATURES.index(name)
    size = len(FEATURES)
    return Calibrator(
        means=tuple(mean if i == at else 0.0 for i in range(size)),
        scales=tuple(scale if i == at else 1.0 for i in range(size)),
        weights=tuple(weight if i == at else 0.0 for i in range(size)),
        bias=0.0,
    )


def support_calibrator() -> Calibrator:
    """Confidence is sigmoid(20 * (mean sentence support - 0.5))."""
    return one_feature_calibrator("support_mean", 2.0, 0.5, 0.1)


def citing_calibrator() -> Calibrator:
    """Confidence is sigmoid(2 * share of sentences that cite)."""
    return one_feature_calibrator("cited_share", 2.0, 0.0, 1.0)
