from __future__ import annotations

import pytest

from bench.calibration_metrics import (
    accuracy_at_coverage,
    calibration_noise,
    expected_calibration_error,
    reliability,
    risk_coverage,
)


def test_perfectly_calibrated_bins_have_no_error() -> None:
    confidences = [0.25] * 4 + [0.75] * 4
    correct = [True, False, False, False, True, True, True, False]
    assert expected_calibration_error(confidences, correct) == pytest.approx(0.0)


def test_overconfidence_is_the_gap_weighted_by_bin_size() -> None:
    confidences = [0.95] * 10 + [0.05] * 10
    correct = [True] * 5 + [False] * 5 + [False] * 10
    # the top bin claims 0.95 and is right half the time; the bottom bin is off by 0.05
    assert expected_calibration_error(confidences, correct) == pytest.approx(
        0.5 * 0.45 + 0.5 * 0.05
    )


def test_reliability_puts_one_in_the_last_bin_and_skips_empty_bins() -> None:
    bins = reliability([1.0, 0.0], [True, False], bins=10)
    assert [(b.low, b.count, b.accuracy) for b in bins] == [(0.0, 1, 0.0), (0.9, 1, 1.0)]


def test_risk_coverage_keeps_the_most_confident_first() -> None:
    curve = risk_coverage([0.9, 0.1, 0.8, 0.2], [True, False, True, True])
    assert curve == [(0.25, 1.0), (0.5, 1.0), (0.75, 1.0), (1.0, 0.75)]
    assert accuracy_at_coverage(curve, 0.5) == 1.0
    assert accuracy_at_coverage(curve, 1.0) == 0.75


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        reliability([0.5], [True, False])


def test_a_flawless_confidence_still_shows_error_on_few_answers_and_less_on_many() -> None:
    few = calibration_noise([0.55] * 40 + [0.35] * 40, draws=400)
    many = calibration_noise([0.55] * 4000 + [0.35] * 4000, draws=50)
    # Two bins of 40: each bin's accuracy strays from its confidence by about 0.06 on average.
    assert 0.04 < few.mean < 0.1
    assert few.mean < few.p95
    assert many.mean < 0.015
    assert calibration_noise([0.55] * 40, draws=100) == calibration_noise([0.55] * 40, draws=100)


def test_certain_confidences_have_no_noise() -> None:
    noise = calibration_noise([1.0] * 10 + [0.0] * 10, draws=20)
    assert noise.mean == 0.0
    assert noise.p95 == 0.0


def test_calibration_noise_needs_answers() -> None:
    with pytest.raises(ValueError):
        calibration_noise([])
