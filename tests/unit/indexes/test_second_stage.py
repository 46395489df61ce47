"""Re-ordering the fused candidates by a second model's scores."""

from __future__ import annotations

import pytest

from indexes.protocols import SearchHit
from indexes.second_stage import rescore

POOL = [SearchHit(1, 0.9), SearchHit(2, 0.5), SearchHit(3, 0.1)]
SECOND = {1: 0.2, 2: 0.3, 3: 0.8}


def ids(hits: list[SearchHit]) -> list[int]:
    return [hit.chunk_id for hit in hits]


def test_weight_one_follows_the_second_model_and_zero_the_first() -> None:
    assert ids(rescore(POOL, SECOND, 1.0)) == [3, 2, 1]
    assert ids(rescore(POOL, SECOND, 0.0)) == [1, 2, 3]


def test_middle_weight_mixes_normalised_scores() -> None:
    # first: 1.0, 0.5, 0.0; second: 0.0, 1/6, 1.0
    assert ids(rescore(POOL, SECOND, 0.5)) == [1, 3, 2]
    assert ids(rescore(POOL, SECOND, 0.6)) == [3, 1, 2]
    assert [hit.score for hit in rescore(POOL, SECOND, 0.6)] == pytest.approx(
        [0.6, 0.4, 0.2 + 0.6 / 6]
    )


def test_ties_keep_the_first_stage_order() -> None:
    pool = [SearchHit(5, 1.0), SearchHit(6, 1.0), SearchHit(7, 1.0)]
    assert ids(rescore(pool, {5: 0.4, 6: 0.4, 7: 0.4}, 0.5)) == [5, 6, 7]
    assert rescore([], {}, 0.5) == []


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="weight"):
        rescore(POOL, SECOND, 1.5)
    with pytest.raises(ValueError, match="no second-stage score"):
        rescore(POOL, {1: 0.2}, 0.5)
