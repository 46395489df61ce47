from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexes.dense import EMBED_SLICE, DenseIndex
from indexes.persist import IndexFormatError
from indexes.protocols import IndexedChunk
from tests.unit.indexes.index_fakes import HashingEmbedder

SENTENCES = [
    "the tenant shall pay rent monthly",
    "revenue grew twelve percent year over year",
    "patients received ten milligrams of the drug",
    "either party may terminate this agreement with notice",
    "goodwill impairment was recorded in the fourth quarter",
]


def unit_vectors(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_search_finds_the_text_sharing_words(embedder: HashingEmbedder) -> None:
    index = DenseIndex(embedder)
    index.add([IndexedChunk(10 + n, 1, text) for n, text in enumerate(SENTENCES)])
    hits = index.search("terminate the agreement", 3)
    assert hits[0].chunk_id == 13
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    vector = embedder.encode(["terminate the agreement"])[0]
    assert index.search_vector(vector, 3) == hits
    assert len(index.search("rent", 50)) == len(SENTENCES)


@pytest.mark.parametrize("ann_threshold", [100_000, 100])
def test_filter_returns_all_chunks_of_a_small_collection(
    embedder: HashingEmbedder, ann_threshold: int
) -> None:
    rng = np.random.default_rng(0)
    index = DenseIndex(embedder, ann_threshold=ann_threshold)
    index.add_vectors(range(1000), [1] * 1000, unit_vectors(rng, 1000, 64))
    index.add_vectors(range(5000, 5005), [2] * 5, unit_vectors(rng, 5, 64))
    assert index.kind == ("hnsw" if ann_threshold == 100 else "flat")
    hits = index.search_vector(unit_vectors(rng, 1, 64)[0], 10, collections={2})
    assert sorted(hit.chunk_id for hit in hits) == list(range(5000, 5005))


def test_hnsw_filter_on_a_large_collection_stays_inside_it(embedder: HashingEmbedder) -> None:
    rng = np.random.default_rng(1)
    index = DenseIndex(embedder, ann_threshold=100)
    vectors = unit_vectors(rng, 2000, 64)
    index.add_vectors(range(2000), [n % 3 for n in range(2000)], vectors)
    query = vectors[7]
    hits = index.search_vector(query, 10, collections={1})
    assert len(hits) == 10
    assert all(hit.chunk_id % 3 == 1 for hit in hits)
    assert hits[0].chunk_id == 7
    exact = np.argsort(-(vectors @ query))
    expected = [int(n) for n in exact if n % 3 == 1][:10]
    assert len({hit.chunk_id for hit in hits} & set(expected)) >= 9


@pytest.mark.parametrize("ann_threshold", [100_000, 100])
def test_deleted_and_replaced_chunks(embedder: HashingEmbedder, ann_threshold: int) -> None:
    rng = np.random.default_rng(2)
    index = DenseIndex(embedder, ann_threshold=ann_threshold)
    vectors = unit_vectors(rng, 300, 64)
    index.add_vectors(range(300), [1] * 300, vectors)
    index.delete([5, 6, 12345])
    assert len(index) == 298
    assert index.chunk_ids() == set(range(300)) - {5, 6}
    hits = index.search_vector(vectors[5], 300)
    assert 5 not in {hit.chunk_id for hit in hits}
    assert len(hits) == 298

    index.add_vectors([7], [4], vectors[100:101])
    assert len(index) == 298
    top = index.search_vector(vectors[100], 2)
    assert {hit.chunk_id for hit in top} == {7, 100}
    assert [hit.chunk_id for hit in index.search_vector(vectors[7], 1, collections={1})] != [7]
    assert [hit.chunk_id for hit in index.search_vector(vectors[0], 5, collections={4})] == [7]


def test_index_switches_to_hnsw_past_the_threshold(embedder: HashingEmbedder) -> None:
    rng = np.random.default_rng(3)
    index = DenseIndex(embedder, ann_threshold=500)
    vectors = unit_vectors(rng, 600, 64)
    index.add_vectors(range(400), [1] * 400, vectors[:400])
    assert index.kind == "flat"
    index.add_vectors(range(400, 600), [1] * 200, vectors[400:])
    assert index.kind == "hnsw"
    assert len(index) == 600
    found = [index.search_vector(vectors[n], 1)[0].chunk_id for n in range(0, 600, 37)]
    assert found == list(range(0, 600, 37))
    index.ef_search = 16
    assert index.search_vector(vectors[3], 1)[0].chunk_id == 3
    with pytest.raises(ValueError, match="ef_search"):
        index.ef_search = 0


def test_bad_vectors_are_refused(embedder: HashingEmbedder) -> None:
    index = DenseIndex(embedder)
    with pytest.raises(ValueError, match="one vector per chunk"):
        index.add_vectors([1, 2], [1, 1], np.zeros((3, 64), dtype=np.float32))
    with pytest.raises(ValueError, match="repeat"):
        index.add_vectors([1, 1], [1, 1], np.ones((2, 64), dtype=np.float32))
    index.add_vectors([1], [1], np.ones((1, 64), dtype=np.float32))
    with pytest.raises(ValueError, match="dimensions"):
        index.add_vectors([2], [1], np.ones((1, 32), dtype=np.float32))
    with pytest.raises(ValueError, match="dimensions"):
        index.search_vector(np.ones(32, dtype=np.float32), 3)


def test_empty_index(embedder: HashingEmbedder, tmp_path: Path) -> None:
    index = DenseIndex(embedder)
    assert index.search("anything", 5) == []
    assert embedder.calls == 0
    index.save(tmp_path / "dense")
    loaded = DenseIndex.load(tmp_path / "dense", embedder)
    assert len(loaded) == 0
    loaded.add([IndexedChunk(1, 1, "rent")])
    assert [hit.chunk_id for hit in loaded.search("rent", 3)] == [1]


@pytest.mark.parametrize("ann_threshold", [100_000, 100])
def test_save_and_load_round_trip(
    embedder: HashingEmbedder, tmp_path: Path, ann_threshold: int
) -> None:
    rng = np.random.default_rng(4)
    index = DenseIndex(embedder, ann_threshold=ann_threshold)
    vectors = unit_vectors(rng, 400, 64)
    index.add_vectors(range(400), [n % 2 for n in range(400)], vectors)
    index.delete([1, 2, 3])
    queries = unit_vectors(rng, 20, 64)
    before = [index.search_vector(query, 5, collections={1}) for query in queries]
    index.save(tmp_path / "dense")
    manifest = json.loads((tmp_path / "dense" / "manifest.json").read_text())
    assert manifest["model_name"] == "hashing-test"
    assert manifest["dim"] == 64
    assert manifest["index_kind"] == index.kind

    loaded = DenseIndex.load(tmp_path / "dense", embedder)
    assert loaded.kind == index.kind
    assert loaded.chunk_ids() == set(range(400)) - {1, 2, 3}
    after = [loaded.search_vector(query, 5, collections={1}) for query in queries]
    assert [[hit.chunk_id for hit in hits] for hits in after] == [
        [hit.chunk_id for hit in hits] for hits in before
    ]

    saved = (tmp_path / "dense" / "vectors.faiss").read_bytes()
    loaded.delete(range(10, 20))
    loaded.add_vectors([1000], [1], vectors[50:51])
    assert not {hit.chunk_id for hit in loaded.search_vector(vectors[15], 5)} & set(range(10, 20))
    assert (tmp_path / "dense" / "vectors.faiss").read_bytes() == saved
    assert len(DenseIndex.load(tmp_path / "dense", embedder)) == 397


def test_hnsw_is_rebuilt_on_save_when_many_are_deleted(
    embedder: HashingEmbedder, tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    index = DenseIndex(embedder, ann_threshold=100, rebuild_fraction=0.1)
    vectors = unit_vectors(rng, 300, 64)
    index.add_vectors(range(300), [1] * 300, vectors)
    index.delete(range(100))
    index.save(tmp_path / "dense")
    manifest = json.loads((tmp_path / "dense" / "manifest.json").read_text())
    assert manifest["counts"] == {"vectors": 200, "live": 200}
    loaded = DenseIndex.load(tmp_path / "dense", embedder)
    assert loaded.kind == "hnsw"
    assert loaded.search_vector(vectors[150], 1)[0].chunk_id == 150
    assert loaded.search_vector(vectors[50], 200)[0].chunk_id >= 100


def test_load_refuses_another_model(
    embedder: HashingEmbedder, make_embedder: type[HashingEmbedder], tmp_path: Path
) -> None:
    index = DenseIndex(embedder)
    index.add([IndexedChunk(1, 1, "rent")])
    index.save(tmp_path / "dense")
    with pytest.raises(IndexFormatError, match="model"):
        DenseIndex.load(tmp_path / "dense", make_embedder(model_name="another-model"))


def test_progress_is_told_after_each_slice_and_the_vectors_are_the_same(
    embedder: HashingEmbedder,
) -> None:
    count = 2 * EMBED_SLICE + 3
    chunks = [IndexedChunk(n, 1, f"{SENTENCES[n % 5]} {n}") for n in range(count)]
    told: list[tuple[int, int]] = []
    reported = DenseIndex(embedder)
    reported.add(chunks, on_embedded=lambda done, total: told.append((done, total)))
    whole = DenseIndex(HashingEmbedder())
    whole.add(chunks)

    assert told == [(EMBED_SLICE, count), (2 * EMBED_SLICE, count), (count, count)]
    assert reported.search("rent 7", 5) == whole.search("rent 7", 5)
