"""The percentile the guard and calibration benchmarks report."""

from __future__ import annotations

from bench.common import percentile


def test_percentile_takes_the_value_at_the_share_of_the_sorted_list() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.95) == 5.0
    assert percentile(values, 1.0) == 5.0
    assert percentile([float(v) for v in range(100)], 0.95) == 95.0
