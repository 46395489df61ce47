"""Score normalisations compared in the retrieval benchmark, on hand-made rankings."""

from __future__ import annotations

import math

import pytest

from bench.retrieval.methods import fused_ranking
from bench.retrieval.normalisation import normalised_fusion, normalised_scores
from indexes.hybrid import FusionConfig
from indexes.protocols import SearchHit


def hits(*pairs: tuple[int, float]) -> list[SearchHit]:
    return [SearchHit(chunk_id, score) for chunk_id, score in pairs]


def test_minmax_pins_best_and_worst() -> None:
    scores, missing = normalised_scores(hits((1, 9.0), (2, 5.0), (3, 1.0)), "minmax")
    assert scores == {1: 1.0, 2: 0.5, 3: 0.0}
    assert missing == 0.0


def test_zscore_centres_and_gives_absent_chunks_the_lowest_value() -> None:
    scores, missing = normalised_scores(hits((1, 3.0), (2, 1.0)), "zscore")
    assert scores == {1: pytest.approx(1.0), 2: pytest.approx(-1.0)}
    assert missing == pytest.approx(-1.0)


def test_distribution_anchors_on_the_spread_not_on_the_extremes() -> None:
    ranking = hits((1, 100.0), *((n, 1.0 + n / 100) for n in range(2, 32)))
    minmax, _ = normalised_scores(ranking, "minmax")
    spread, missing = normalised_scores(ranking, "distribution")
    assert spread[1] == 1.0  # far above mean + 3 sd: capped
    assert min(spread.values()) > 0.0 == min(minmax.values())
    assert all(0.0 <= value <= 1.0 for value in spread.values())
    assert missing == 0.0


def test_equal_scores_and_repeats() -> None:
    assert normalised_scores(hits((1, 2.0), (2, 2.0)), "zscore") == ({1: 0.0, 2: 0.0}, 0.0)
    assert normalised_scores(hits((1, 2.0), (2, 2.0)), "distribution")[0] == {1: 1.0, 2: 1.0}
    scores, _ = normalised_scores(hits((1, 4.0), (2, 2.0), (1, 0.0)), "minmax")
    assert scores == {1: 1.0, 2: 0.0}
    assert normalised_scores([], "zscore") == ({}, 0.0)
    with pytest.raises(ValueError, match="finite"):
        normalised_scores(hits((1, math.nan)), "minmax")


def test_minmax_fusion_ranks_as_the_product_does() -> None:
    bm25 = hits((1, 12.0), (2, 7.5), (3, 7.0), (4, 1.0))
    dense = hits((5, 0.81), (3, 0.8), (1, 0.4), (6, 0.3))
    for alpha in (0.2, 0.5, 0.8):
        config = FusionConfig(method="convex", convex_alpha=alpha, candidates=4)
        expected = fused_ranking(bm25, dense, config)
        assert normalised_fusion([bm25, dense], [1 - alpha, alpha], "minmax") == expected


def test_weights_decide_between_the_lists() -> None:
    bm25 = hits((1, 10.0), (2, 1.0))
    dense = hits((2, 0.9), (1, 0.1))
    assert normalised_fusion([bm25, dense], [1.0, 0.0], "zscore")[0] == 1
    assert normalised_fusion([bm25, dense], [0.0, 1.0], "zscore")[0] == 2
    with pytest.raises(ValueError, match="weights"):
        normalised_fusion([bm25, dense], [1.0], "zscore")
