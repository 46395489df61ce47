"""The learning rate over an adapter's training run."""

from __future__ import annotations

import pytest

from training.adapter_training import learning_rate


def test_the_rate_warms_up_then_decays_to_nothing() -> None:
    assert learning_rate(1e-3, 0, 10, 0.0) == pytest.approx(1e-4)
    assert learning_rate(1e-3, 9, 10, 0.0) == pytest.approx(1e-3)
    assert learning_rate(1e-3, 50, 10, 0.5) == pytest.approx(5e-4)
    assert learning_rate(1e-3, 99, 10, 1.0) == pytest.approx(0.0, abs=1e-12)
