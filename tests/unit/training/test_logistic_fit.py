"""The logistic fit minimises the documented objective: summed log-loss plus ridge / 2 times
the squared weights on standardised features, the intercept unpenalised."""

from __future__ import annotations

import numpy as np
import pytest

from training.logistic_fit import fit_logistic


def penalised_gradient(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, bias: float, ridge: float
) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    return np.r_[np.sum(p - y), x.T @ (p - y) + ridge * weights]


@pytest.mark.parametrize("ridge", [0.1, 1.0, 10.0])
def test_the_fit_is_the_penalised_optimum(ridge: float) -> None:
    rng = np.random.default_rng(5)
    raw = rng.normal(size=(300, 4)) * [0.1, 1.0, 5.0, 2.0] + [1.0, -2.0, 0.0, 3.0]
    labels = raw[:, 0] * 8 - raw[:, 2] * 0.3 + rng.normal(size=300) > 8
    model = fit_logistic(raw.tolist(), labels.tolist(), ridge=ridge)
    assert model.means == pytest.approx(raw.mean(axis=0).tolist())
    assert model.scales == pytest.approx(raw.std(axis=0).tolist())
    standardised = (raw - model.means) / model.scales
    gradient = penalised_gradient(
        standardised, labels.astype(float), np.array(model.weights), model.bias, ridge
    )
    assert np.abs(gradient).max() < 1e-6
    assert model.fitted_on == 300


def test_a_constant_feature_keeps_scale_one_and_no_weight() -> None:
    model = fit_logistic(
        [[1.0, 2.0], [1.0, 3.0], [1.0, 4.0], [1.0, 5.0]], [False, True, False, True]
    )
    assert model.scales[0] == 1.0
    assert model.weights[0] == pytest.approx(0.0, abs=1e-9)


def test_fitting_needs_both_labels_and_matching_lengths() -> None:
    with pytest.raises(ValueError, match="both"):
        fit_logistic([[0.0], [1.0]], [True, True])
    with pytest.raises(ValueError, match="same length"):
        fit_logistic([[0.0], [1.0]], [True])
