"""The sign-flip test that guards per-collection fusion choices against chance gains."""

from __future__ import annotations

import pytest

from bench.retrieval.significance import EXACT_UP_TO, gain_p_value


def test_no_gain_is_never_significant() -> None:
    assert gain_p_value([]) == 1.0
    assert gain_p_value([0.0, 0.0]) == 1.0
    assert gain_p_value([0.2, -0.2]) == 1.0
    assert gain_p_value([-0.1, -0.3, 0.05]) == 1.0


def test_exact_p_value_counts_sign_patterns_at_least_as_extreme() -> None:
    # Three equal gains: only the all-positive pattern of 8 reaches the observed sum.
    assert gain_p_value([0.1, 0.1, 0.1]) == pytest.approx(1 / 8)
    # Gains 3 and 1 sum to 4: of the sums 4, 2, -2 and -4 of the four patterns, one reaches it.
    # Gains 3 and -1 sum to 2, which two of the same four sums reach.
    assert gain_p_value([3.0, 1.0]) == pytest.approx(1 / 4)
    assert gain_p_value([3.0, -1.0]) == pytest.approx(2 / 4)
    # One gain: of its two signs, one reaches it.
    assert gain_p_value([0.0, 0.3]) == pytest.approx(1 / 2)
    # Zero gains carry no sign and do not change the answer.
    assert gain_p_value([0.1, 0.0, 0.1, 0.1, 0.0]) == pytest.approx(1 / 8)


def test_many_consistent_gains_are_significant_and_the_estimate_is_repeatable() -> None:
    gains = [0.05] * 30 + [-0.05] * 5
    assert len(gains) > EXACT_UP_TO
    p_value = gain_p_value(gains)
    assert p_value < 0.001
    assert gain_p_value(gains) == p_value


def test_a_gain_carried_by_one_query_is_not_significant() -> None:
    gains = [0.9] + [0.01] * 10 + [-0.02] * 9
    assert sum(gains) > 0
    assert gain_p_value(gains) > 0.05
