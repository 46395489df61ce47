"""How likely a table reading is right, from how well the question matched the table.

A reading whose row label the question names word for word, whose period columns all exist and
that no other row rivals is usually right; a reading that matched half a label, or that another
row matches as well, often is not. A logistic model over those signals, fitted offline on
readings labelled against gold answers (``training/reading``), turns them into a probability.
The weights are a small JSON file shipped with the product.
"""

from __future__ import annotations

from pathlib import Path

from assistant.logistic import Logistic
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
FORMAT_VERSION = 2


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


def load_reading_calibrator(path: Path = BUNDLED_READING_CALIBRATOR) -> Logistic:
    """The fitted weights over ``FEATURES``; refuses a file fitted for other features."""
    return Logistic.load(path, features=FEATURES, format_version=FORMAT_VERSION)
