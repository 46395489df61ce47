"""Fitting the answer calibrator offline, and reading the fitted model back at run time."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.guard.calibrator import Calibrator
from training.guard.fit_calibrator import fit_calibrator


def test_fit_orders_answers_by_evidence_of_correctness(tmp_path: Path) -> None:
    rng = random.Random(3)
    rows, labels = [], []
    for _ in range(400):
        support = rng.random()
        rows.append([support, support, 1.0, -1.0, -3.0, 1.0, rng.random()])
        labels.append(rng.random() < support)
    calibrator = fit_calibrator(rows, labels)
    low = calibrator.probability([0.1, 0.1, 1.0, -1.0, -3.0, 1.0, 0.5])
    high = calibrator.probability([0.9, 0.9, 1.0, -1.0, -3.0, 1.0, 0.5])
    assert low < 0.3 < 0.7 < high
    path = tmp_path / "calibrator.json"
    calibrator.save(path)
    assert Calibrator.load(path) == calibrator


def test_fit_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="both"):
        fit_calibrator([[0.5] * 7, [0.6] * 7], [True, True])
