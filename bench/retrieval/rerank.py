"""Pure parts of the second-stage study (``bench.rerank_eval``): choosing a collection's
weight and summarising timings. The re-scoring itself is the product's
(``indexes.second_stage.rescore``), and so is the model's unpacking
(``indexes.mpnet_package``).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from bench.retrieval.significance import gain_p_value


def choose_weight(
    dev: Mapping[float, Sequence[float]], without: Sequence[float], level: float
) -> float | None:
    """A collection's second-stage weight: the one with the best mean per-query dev nDCG@10
    in ``dev`` (by weight, queries in one order), or None (no second stage) unless its gain
    over the scores ``without`` it is significant at ``level`` (``gain_p_value``). Among
    equals, the first."""
    best = max(dev, key=lambda weight: sum(dev[weight]) / max(1, len(dev[weight])))
    gains = [new - old for new, old in zip(dev[best], without, strict=True)]
    return best if gain_p_value(gains) < level else None


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile (nearest rank) in milliseconds."""
    if not seconds:
        raise ValueError("no timings")
    ms = sorted(value * 1000 for value in seconds)
    return {
        "p50_ms": statistics.median(ms),
        "p95_ms": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))],
    }
