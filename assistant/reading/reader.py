"""The table reader as a pipeline stage: a calibrated reading, or nothing.

The stage reads the question against the tables among the passages and attaches the calibrated
probability that the reading is right. A reading below ``min_confidence`` is dropped, so that the
language model drafts the answer instead of the product asserting a doubtful cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.logistic import Logistic
from assistant.reading.calibration import reading_features
from assistant.reading.question import terms_of
from assistant.reading.table_reader import TableReading, read_from_tables


class TableReader:
    """``read(question, passages)`` -> a reading with its ``confidence``, or ``None``."""

    def __init__(self, calibrator: Logistic, *, min_confidence: float) -> None:
        if not 0 <= min_confidence <= 1:
            raise ValueError("min_confidence must be in [0, 1]")
        self._calibrator = calibrator
        self._min_confidence = min_confidence

    def read(self, question: str, passages: Sequence[str]) -> TableReading | None:
        reading = read_from_tables(question, passages)
        if reading is None:
            return None
        features = reading_features(reading, len(terms_of(question)))
        confidence = self._calibrator.probability(features)
        if confidence < self._min_confidence:
            return None
        return replace(reading, confidence=confidence)
