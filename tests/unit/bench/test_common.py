"""The timing summary the search and second-stage benchmarks report."""

from __future__ import annotations

import pytest

from bench.common import latency_ms


def test_latency_is_the_median_and_the_timing_nearest_the_95th_rank() -> None:
    figures = latency_ms([0.001 * n for n in range(1, 101)])
    assert figures["p50_ms"] == pytest.approx(50.5)
    assert figures["p95_ms"] == pytest.approx(95.0)
    assert latency_ms([0.003, 0.001, 0.002])["p95_ms"] == pytest.approx(3.0)
    with pytest.raises(ValueError):
        latency_ms([])
