"""Fitting the product's logistic models (the calibrator, the phrase detector) with scikit-learn.

Features are standardised (mean and population standard deviation, a constant feature kept at
scale 1) and the weights fitted with an L2 penalty of ``ridge / 2`` times their squared norm on
the summed log-loss, the intercept unpenalised. The result is the runtime's ``Logistic``, whose
JSON form the product reads without scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from assistant.logistic import Logistic


def fit_logistic(
    features: Sequence[Sequence[float]], labels: Sequence[bool], *, ridge: float = 1.0
) -> Logistic:
    """A logistic regression of ``labels`` on ``features``; needs examples of both labels."""
    x = np.asarray(features, dtype=float)
    y = np.asarray(labels, dtype=bool)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ValueError("features and labels must be non-empty and of the same length")
    if y.min() == y.max():
        raise ValueError("fitting needs examples of both labels")
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0 / ridge, solver="newton-cholesky", tol=1e-10, max_iter=100)
    model.fit(scaler.transform(x), y)
    return Logistic(
        means=tuple(float(v) for v in scaler.mean_),
        scales=tuple(float(v) for v in scaler.scale_),
        weights=tuple(float(v) for v in model.coef_[0]),
        bias=float(model.intercept_[0]),
        fitted_on=len(x),
    )
