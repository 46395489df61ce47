"""How likely a table reading is right, from how well the question matched the table.

A reading whose row label the question names word for word, whose period columns all exist and
that no other row rivals is usually right; a reading that matched half a label, or that another
row matches as well, often is not. A logistic model over those signals, fitted offline on
readings labelled against gold answers (``training/reading``), turns them into a probability.
The weights are a small JSON file shipped with the product.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.reading.question import Operation
from assistant.reading.table_reader import TableReading

BUNDLED_READING_CALIBRATOR = (
    Path(__file__).resolve().parent.parent / "models" / "reading_calibrator.json"
)
FEATURES = (
    "label_precision",
    "overlap",
    "runner_up",
    "computed",
    "several_values",
    "passage_rank",
    "question_named",
)
FORMAT_VERSION = 1


def reading_features(reading: TableReading, question_terms: int) -> list[float]:
    """The feature vector of ``reading``, in ``FEATURES`` order."""
    passages = {c.passage for c in reading.cells}
    return [
        reading.label_precision,
        min(reading.overlap, 5) / 5,
        reading.runner_up,
        float(reading.expression is not None),
        float(reading.operation is Operation.LOOKUP and len(reading.cells) > 1),
        1 / min(passages, default=1),
        reading.overlap / question_terms if question_terms else 0.0,
    ]


@dataclass(frozen=True)
class ReadingCalibrator:
    """Logistic weights over ``FEATURES``."""

    weights: tuple[float, ...]
    bias: float
    fitted_on: int

    def probability(self, features: Sequence[float]) -> float:
        if len(features) != len(self.weights):
            raise ValueError(f"expected {len(self.weights)} features, got {len(features)}")
        score = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, score))))

    def save(self, path: Path) -> None:
        record = {
            "format_version": FORMAT_VERSION,
            "features": list(FEATURES),
            "weights": list(self.weights),
            "bias": self.bias,
            "fitted_on": self.fitted_on,
        }
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = BUNDLED_READING_CALIBRATOR) -> ReadingCalibrator:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("format_version") != FORMAT_VERSION or record.get("features") != list(
            FEATURES
        ):
            raise ValueError(f"{path} was fitted for other features; refit it (training/reading)")
        return cls(tuple(record["weights"]), float(record["bias"]), int(record["fitted_on"]))
