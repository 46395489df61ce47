"""Fitting the answer calibrator (``assistant.guard.calibrator``) on answers labelled correct or
incorrect; ``bench.guard_eval`` fits it on the product's own answers and can store it."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.guard.calibrator import Calibrator
from training.logistic_fit import fit_logistic


def fit_calibrator(
    features: Sequence[Sequence[float]], labels: Sequence[bool], *, ridge: float = 1.0
) -> Calibrator:
    """The calibrator fitted on ``features`` (in ``FEATURES`` order); needs both kinds of answer."""
    if len(set(labels)) < 2 and len(labels) > 0:
        raise ValueError("calibration needs both correct and incorrect answers")
    model = fit_logistic(features, labels, ridge=ridge)
    return Calibrator(model.means, model.scales, model.weights, model.bias, model.fitted_on)
