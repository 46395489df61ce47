"""The benchmark's offline fusion must rank exactly as ``HybridIndex.search`` does."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.settings import IndexSettings
from bench.retrieval.methods import (
    CANDIDATES,
    CONVEX_ALPHAS,
    RRF_KS,
    choose_own,
    choose_shared,
    describe,
    fused_ranking,
    fusion_grid,
    run_indexes,
)
from bench.retrieval.qrels import EvalSet, Passage, Query
from indexes.hybrid import FusionConfig
from indexes.protocols import SearchHit

DIM = 32


class HashingEmbedder:
    """Bag of hashed words: similar texts get similar vectors, with no model to load.

    A small text-specific nudge keeps distinct texts from scoring exactly alike: FAISS breaks
    exact ties at its cut-off differently for different ``k``, which is noise, not a fusion
    difference.
    """

    @property
    def dim(self) -> int:
        return DIM

    @property
    def model_name(self) -> str:
        return "hashing-test"

    def warm_up(self) -> None:
        """Nothing to load."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, zlib.crc32(word.encode()) % DIM] += 1.0
            nudge = zlib.crc32(text.encode())
            vectors[row, nudge % DIM] += 1e-3 * (nudge % 997)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)


WORDS = [
    "revenue",
    "margin",
    "lease",
    "tenant",
    "clause",
    "patient",
    "dose",
    "trial",
    "merger",
    "notice",
    "term",
    "fee",
    "renewal",
    "warranty",
    "cash",
    "tax",
    "asset",
    "liability",
    "dividend",
    "placebo",
]


def _eval_set(count: int) -> EvalSet:
    rng = np.random.default_rng(7)
    passages = tuple(Passage(i, " ".join(rng.choice(WORDS, size=12)), i) for i in range(count))
    queries = tuple(
        Query(f"q{i}", " ".join(rng.choice(WORDS, size=3)), frozenset({i})) for i in range(20)
    )
    return EvalSet("synthetic", passages, queries)


def test_grid_covers_every_setting_once() -> None:
    grid = fusion_grid()
    assert len(grid) == (len(RRF_KS) + len(CONVEX_ALPHAS)) * len(CANDIDATES)
    assert len({describe(config) for config in grid}) == len(grid)


@pytest.mark.parametrize(
    "config",
    [
        FusionConfig(method="rrf", rrf_k=10, candidates=20),
        FusionConfig(method="rrf", rrf_k=60, candidates=50),
        FusionConfig(method="convex", convex_alpha=0.3, candidates=20),
        FusionConfig(method="convex", convex_alpha=0.7, candidates=50),
    ],
    ids=describe,
)
def test_offline_fusion_matches_hybrid_index(tmp_path: Path, config: FusionConfig) -> None:
    eval_set = _eval_set(150)
    runs = run_indexes(eval_set, eval_set.queries, HashingEmbedder(), IndexSettings(), tmp_path)
    assert runs.mismatches(config, eval_set.queries) == 0
    first = eval_set.queries[0].query_id
    ranking = fused_ranking(runs.bm25[first], runs.dense[first], config)
    assert len(ranking) == len(set(ranking)) > 10


def test_offline_fusion_uses_only_the_candidates() -> None:
    bm25 = [SearchHit(i, 10.0 - i) for i in range(5)]
    dense = [SearchHit(i, 1.0 - i / 10) for i in range(10, 15)]
    config = FusionConfig(method="rrf", rrf_k=60, candidates=2)
    assert sorted(fused_ranking(bm25, dense, config)) == [0, 1, 10, 11]


RRF = FusionConfig(method="rrf", rrf_k=10, candidates=20)
LOW = FusionConfig(method="convex", convex_alpha=0.2, candidates=20)
HIGH = FusionConfig(method="convex", convex_alpha=0.6, candidates=20)
DEV = {
    describe(RRF): {"a": 0.50, "b": 0.90, "c": 0.35},
    describe(LOW): {"a": 0.70, "b": 0.90, "c": 0.20},
    describe(HIGH): {"a": 0.40, "b": 0.90, "c": 0.40},
}


def test_one_setting_for_all_sets_has_the_best_mean() -> None:
    assert choose_shared(DEV, [RRF, LOW, HIGH]) == LOW
    assert choose_shared(DEV, [RRF, HIGH]) == RRF


def _per_query(by_set: dict[str, float], queries: int = 20) -> dict[str, list[float]]:
    """Every query of a set scoring the set's value: a gain that holds on every query."""
    return {name: [value] * queries for name, value in by_set.items()}


DEV_QUERIES = {label: _per_query(by_set) for label, by_set in DEV.items()}


def test_a_collection_keeps_the_default_unless_another_setting_beats_it() -> None:
    assert choose_own(DEV_QUERIES, [RRF, LOW, HIGH], "a", HIGH) == LOW
    assert choose_own(DEV_QUERIES, [RRF, LOW, HIGH], "b", HIGH) == HIGH
    assert choose_own(DEV_QUERIES, [RRF, LOW, HIGH], "b", LOW) == LOW
    assert choose_own(DEV_QUERIES, [RRF, LOW, HIGH], "c", LOW) == HIGH


def test_a_collection_keeps_the_default_when_its_gain_could_be_chance() -> None:
    # LOW's mean beats HIGH's on both sets, but on "few" the gain rests on 3 of 5 queries
    # against 2 that go the other way; on "many" it holds on 30 queries of 40.
    dev = {
        describe(LOW): {"few": [1.0, 1.0, 1.0, 0.0, 0.0], "many": [1.0] * 30 + [0.5] * 10},
        describe(HIGH): {"few": [0.0, 0.0, 0.0, 1.0, 0.8], "many": [0.5] * 40},
    }
    assert choose_own(dev, [LOW, HIGH], "few", HIGH) == HIGH
    assert choose_own(dev, [LOW, HIGH], "many", HIGH) == LOW
