from __future__ import annotations

import copy
import math

import pytest

from indexes.fusion import convex_fusion, reciprocal_rank_fusion
from indexes.protocols import SearchHit


def hits(*pairs: tuple[int, float]) -> list[SearchHit]:
    return [SearchHit(chunk_id=chunk_id, score=score) for chunk_id, score in pairs]


def ids(ranking: list[SearchHit]) -> list[int]:
    return [hit.chunk_id for hit in ranking]


def test_rrf_of_nothing_is_empty() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []


def test_rrf_of_a_single_list_keeps_its_order() -> None:
    fused = reciprocal_rank_fusion([hits((7, 0.1), (3, 0.05), (9, 0.01))], k=60)
    assert ids(fused) == [7, 3, 9]
    assert [hit.score for hit in fused] == pytest.approx([1 / 61, 1 / 62, 1 / 63])


def test_rrf_sums_reciprocal_ranks_and_applies_weights() -> None:
    bm25 = hits((1, 12.0), (2, 8.0), (3, 1.0))
    dense = hits((3, 0.9), (1, 0.8), (4, 0.7))
    fused = reciprocal_rank_fusion([bm25, dense], k=10)
    assert ids(fused) == [1, 3, 2, 4]
    assert fused[0].score == pytest.approx(1 / 11 + 1 / 12)
    weighted = reciprocal_rank_fusion([bm25, dense], k=10, weights=[0.0, 1.0])
    assert ids(weighted)[:3] == [3, 1, 4]
    assert weighted[-1].score == 0.0


def test_rrf_ties_follow_first_appearance_and_duplicates_count_once() -> None:
    fused = reciprocal_rank_fusion([hits((5, 1.0), (5, 0.5), (6, 0.4)), hits((8, 1.0))])
    assert ids(fused) == [5, 8, 6]
    assert fused[0].score == fused[1].score == pytest.approx(1 / 61)


def test_fusion_never_mutates_or_reuses_inputs() -> None:
    rankings = [hits((1, 3.0), (2, 1.0)), hits((2, 0.5), (3, 0.4))]
    snapshot = copy.deepcopy(rankings)
    originals = {id(hit) for ranking in rankings for hit in ranking}
    for fused in (reciprocal_rank_fusion(rankings), convex_fusion(rankings, [0.5, 0.5])):
        assert not {id(hit) for hit in fused} & originals
    assert rankings == snapshot


def test_convex_normalises_each_list_min_max() -> None:
    bm25 = hits((1, 10.0), (2, 5.0), (3, 0.0))
    dense = hits((3, 0.8), (2, 0.6))
    fused = convex_fusion([bm25, dense], [0.5, 0.5])
    scores = {hit.chunk_id: hit.score for hit in fused}
    assert scores == pytest.approx({1: 0.5, 2: 0.25, 3: 0.5})
    assert ids(fused) == [1, 3, 2]


def test_convex_zero_range_gives_one_not_nan() -> None:
    fused = convex_fusion([hits((1, 2.0), (2, 2.0)), hits((3, 0.4))], [0.3, 0.7])
    scores = {hit.chunk_id: hit.score for hit in fused}
    assert all(not math.isnan(score) for score in scores.values())
    assert scores == pytest.approx({1: 0.3, 2: 0.3, 3: 0.7})
    assert convex_fusion([[], []], [0.5, 0.5]) == []


def test_bad_arguments_are_refused() -> None:
    ranking = hits((1, 1.0))
    with pytest.raises(ValueError, match="weights"):
        reciprocal_rank_fusion([ranking], weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="weights"):
        convex_fusion([ranking, ranking], [1.0, -1.0])
    with pytest.raises(ValueError, match="k must"):
        reciprocal_rank_fusion([ranking], k=-1)
    with pytest.raises(ValueError, match="finite"):
        convex_fusion([hits((1, math.inf), (2, 0.0))], [1.0])
