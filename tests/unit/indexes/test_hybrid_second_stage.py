"""The hybrid index's optional second stage: a third part kept in step, used per search."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexes.bm25 import BM25Index
from indexes.dense import DenseIndex
from indexes.hybrid import FusionConfig, HybridConfig, HybridIndex, open_hybrid_index
from tests.unit.indexes.index_fakes import HashingEmbedder, KeywordEmbedder
from tests.unit.indexes.test_hybrid_index import CHUNKS

QUERY = "rent lease tenant patients"
FIRST = FusionConfig(method="convex", convex_alpha=0.5, candidates=10)
SECOND_ONLY = FusionConfig(
    method="convex", convex_alpha=0.5, candidates=10, second_stage_weight=1.0
)


def with_second(embedder: HashingEmbedder, second: HashingEmbedder) -> HybridIndex:
    index = HybridIndex(BM25Index(), DenseIndex(embedder), FIRST, second=DenseIndex(second))
    index.add(CHUNKS)
    return index


def ids(hits: Sequence[object]) -> list[int]:
    return [hit.chunk_id for hit in hits]  # type: ignore[attr-defined]


def test_the_second_model_reorders_the_fused_candidates(embedder: HashingEmbedder) -> None:
    index = with_second(embedder, KeywordEmbedder("patients"))
    first = ids(index.search(QUERY, 5))
    second = ids(index.search(QUERY, 5, fusion=SECOND_ONLY))
    assert first[0] != 5
    assert second[0] == 5  # the one text the second model finds similar
    assert sorted(second) == sorted(first)
    assert second[1:] == [chunk for chunk in first if chunk != 5]  # ties keep the first order


def test_without_a_weight_or_a_second_part_search_is_the_fused_one(
    embedder: HashingEmbedder,
) -> None:
    index = with_second(embedder, KeywordEmbedder("patients"))
    plain = HybridIndex(BM25Index(), DenseIndex(embedder), FIRST)
    plain.add(CHUNKS)
    assert ids(index.search(QUERY, 5)) == ids(plain.search(QUERY, 5))
    assert ids(plain.search(QUERY, 5, fusion=SECOND_ONLY)) == ids(plain.search(QUERY, 5))


def test_collection_filters_still_bound_the_results(embedder: HashingEmbedder) -> None:
    index = with_second(embedder, KeywordEmbedder("patients"))
    hits = index.search(QUERY, 5, collections={10, 20}, fusion=SECOND_ONLY)
    assert hits and {hit.chunk_id for hit in hits} <= {1, 2, 3, 4}


def test_writes_reach_the_second_part(embedder: HashingEmbedder) -> None:
    index = with_second(embedder, KeywordEmbedder("patients"))
    assert index.second is not None and index.second.chunk_ids() == {1, 2, 3, 4, 5}
    index.delete([5])
    assert index.second.chunk_ids() == index.chunk_ids() == {1, 2, 3, 4}
    assert 5 not in ids(index.search("patients drug", 5, fusion=SECOND_ONLY))


def test_fill_indexes_chunks_only_in_the_parts_that_lack_them(
    embedder: HashingEmbedder,
) -> None:
    index = HybridIndex(BM25Index(), DenseIndex(embedder), FIRST)
    index.add(CHUNKS)
    second = KeywordEmbedder("patients")
    widened = HybridIndex(index.bm25, index.dense, FIRST, second=DenseIndex(second))
    assert widened.chunk_ids() == set()
    first_calls = embedder.calls

    widened.fill(CHUNKS)

    assert widened.chunk_ids() == {1, 2, 3, 4, 5}
    assert embedder.calls == first_calls  # the first dense part already held every chunk
    assert second.calls == 1
    widened.fill(CHUNKS)
    assert second.calls == 1  # nothing lacking, nothing embedded


def test_a_failing_second_model_leaves_bm25_unchanged(embedder: HashingEmbedder) -> None:
    class Broken(KeywordEmbedder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("second model crashed")

    index = HybridIndex(BM25Index(), DenseIndex(embedder), FIRST, second=DenseIndex(Broken("x")))
    with pytest.raises(RuntimeError, match="second model crashed"):
        index.add(CHUNKS)
    assert index.bm25.chunk_ids() == set()
    assert index.chunk_ids() == set()  # so a repair indexes them again


def test_candidates_the_second_part_lacks_keep_the_first_stage_order(
    embedder: HashingEmbedder,
) -> None:
    index = with_second(embedder, KeywordEmbedder("patients"))
    assert index.second is not None
    index.second.delete([1])
    assert ids(index.search(QUERY, 5, fusion=SECOND_ONLY)) == ids(index.search(QUERY, 5))


def test_the_second_part_is_saved_and_loaded(embedder: HashingEmbedder, tmp_path: Path) -> None:
    second = KeywordEmbedder("patients")
    with_second(embedder, second).save(tmp_path / "index")
    manifest = (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8")
    assert '"second"' in manifest
    loaded = HybridIndex.load(tmp_path / "index", embedder, FIRST, second_embedder=second)
    assert loaded.second is not None and loaded.chunk_ids() == {1, 2, 3, 4, 5}
    assert ids(loaded.search(QUERY, 5, fusion=SECOND_ONLY))[0] == 5


def test_an_index_without_the_second_part_it_needs_counts_every_chunk_missing(
    embedder: HashingEmbedder, tmp_path: Path
) -> None:
    plain = HybridIndex(BM25Index(), DenseIndex(embedder), FIRST)
    plain.add(CHUNKS)
    plain.save(tmp_path / "index")
    loaded = HybridIndex.load(
        tmp_path / "index", embedder, FIRST, second_embedder=KeywordEmbedder("patients")
    )
    assert loaded.second is not None and loaded.chunk_ids() == set()
    loaded.add(CHUNKS)  # what the drift repair does with the missing chunks
    assert loaded.chunk_ids() == {1, 2, 3, 4, 5}


def test_another_second_model_starts_the_part_afresh(
    embedder: HashingEmbedder, tmp_path: Path
) -> None:
    with_second(embedder, KeywordEmbedder("patients")).save(tmp_path / "index")
    other = KeywordEmbedder("rent", model_name="other-keyword-test")
    loaded = HybridIndex.load(tmp_path / "index", embedder, FIRST, second_embedder=other)
    assert loaded.second is not None and len(loaded.second) == 0
    assert loaded.chunk_ids() == set()


def test_without_a_second_model_a_saved_part_is_left_out(
    embedder: HashingEmbedder, tmp_path: Path
) -> None:
    with_second(embedder, KeywordEmbedder("patients")).save(tmp_path / "index")
    loaded = HybridIndex.load(tmp_path / "index", embedder, FIRST)
    assert loaded.second is None and loaded.chunk_ids() == {1, 2, 3, 4, 5}
    loaded.save(tmp_path / "index")
    assert '"second"' not in (tmp_path / "index" / "manifest.json").read_text(encoding="utf-8")


def test_a_new_index_has_a_second_part_only_with_a_second_model(
    embedder: HashingEmbedder, tmp_path: Path
) -> None:
    config = HybridConfig()
    assert open_hybrid_index(tmp_path / "a", config, embedder).second is None
    index = open_hybrid_index(
        tmp_path / "b", config, embedder, second_embedder=KeywordEmbedder("x")
    )
    assert index.second is not None


def test_dense_scores_cover_exactly_the_indexed_chunks_asked_for(
    embedder: HashingEmbedder,
) -> None:
    dense = DenseIndex(KeywordEmbedder("patients"))
    dense.add(CHUNKS)
    assert dense.scores("patients", [5, 1, 99]) == pytest.approx({5: 1.0, 1: 0.0})
    assert dense.scores("patients", []) == {}
    dense.delete([5])
    assert dense.scores("patients", [5, 1]) == pytest.approx({1: 0.0})
    vector = KeywordEmbedder("patients").encode(["patients"])[0]
    assert dense.scores_vector(vector, [5, 1]) == dense.scores("patients", [5, 1])
    assert DenseIndex(KeywordEmbedder("patients")).scores_vector(vector, [1]) == {}


def test_progress_counts_the_embedding_of_both_dense_parts(embedder: HashingEmbedder) -> None:
    index = HybridIndex(
        BM25Index(), DenseIndex(embedder), FIRST, second=DenseIndex(KeywordEmbedder("rent"))
    )
    told: list[tuple[int, int]] = []
    index.add(CHUNKS, on_embedded=lambda done, total: told.append((done, total)))

    count = len(CHUNKS)
    assert told == [(count, 2 * count), (2 * count, 2 * count)]
    assert index.chunk_ids() == {chunk.chunk_id for chunk in CHUNKS}
