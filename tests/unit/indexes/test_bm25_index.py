from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from indexes.bm25 import BM25Index
from indexes.persist import IndexFormatError
from indexes.protocols import IndexedChunk, SearchHit


def random_corpus(rng: np.random.Generator, size: int) -> list[str]:
    """Texts over a Zipf-like vocabulary, with a few words in most texts (negative IDF)."""
    letters = list("bcdfghjklmnpqrstvwxz")
    vocabulary = ["".join(rng.choice(letters, size=rng.integers(4, 9))) for _ in range(1500)]
    weights = 1 / np.arange(1, len(vocabulary) + 1)
    weights /= weights.sum()
    texts = []
    for _ in range(size):
        words = list(rng.choice(vocabulary, size=rng.integers(0, 40), p=weights))
        words += [word for word in vocabulary[:3] if rng.random() < 0.7]
        texts.append(" ".join(words))
    return texts


def assert_same_top_k(
    index: BM25Index, texts: dict[int, str], queries: list[str], k: int = 10
) -> None:
    """Our top-k carries exactly BM25Okapi's top-k scores (over chunks matching a query term)
    and each hit's score is BM25Okapi's score of that chunk."""
    ids = sorted(texts)
    corpus = [index.tokenizer(texts[chunk_id]) for chunk_id in ids]
    reference = BM25Okapi(corpus)
    row_of = {chunk_id: row for row, chunk_id in enumerate(ids)}
    for query in queries:
        tokens = index.tokenizer(query)
        scores = reference.get_scores(tokens)
        matching = [row for row, terms in enumerate(corpus) if set(tokens) & set(terms)]
        expected = sorted((scores[row] for row in matching), reverse=True)[:k]
        hits = index.search(query, k)
        assert len(hits) == len(expected)
        np.testing.assert_allclose([hit.score for hit in hits], expected, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(
            [scores[row_of[hit.chunk_id]] for hit in hits], expected, rtol=1e-5, atol=1e-9
        )


def test_scores_match_rank_bm25_on_random_corpus() -> None:
    rng = np.random.default_rng(7)
    texts = dict(enumerate(random_corpus(rng, 3000), start=1000))
    index = BM25Index()
    index.add([IndexedChunk(chunk_id, chunk_id % 4, text) for chunk_id, text in texts.items()])
    reference = BM25Okapi([index.tokenizer(text) for text in texts.values()])
    floor = reference.epsilon * reference.average_idf
    assert floor in reference.idf.values(), "corpus must exercise the epsilon floor"
    words = " ".join(texts.values()).split()
    queries = [" ".join(rng.choice(words, size=rng.integers(1, 6))) for _ in range(300)]
    assert_same_top_k(index, texts, queries)


def test_incremental_adds_and_deletes_match_a_fresh_rank_bm25() -> None:
    rng = np.random.default_rng(11)
    all_texts = random_corpus(rng, 1200)
    texts = dict(enumerate(all_texts))
    texts[5000] = "zzuniqueterm " * 3
    index = BM25Index()
    chunks = [IndexedChunk(chunk_id, 1, text) for chunk_id, text in texts.items()]
    for start in range(0, len(chunks), 250):
        index.add(chunks[start : start + 250])
    doomed = [chunk_id for chunk_id in texts if chunk_id % 7 == 0] + [5000]
    index.delete(doomed)
    live = {chunk_id: text for chunk_id, text in texts.items() if chunk_id not in doomed}
    assert index.chunk_ids() == set(live)
    assert len(index) == len(live)
    words = " ".join(live.values()).split()
    queries = [" ".join(rng.choice(words, size=rng.integers(1, 5))) for _ in range(150)]
    assert_same_top_k(index, live, queries)
    assert index.search("zzuniqueterm", 5) == []

    index.add([IndexedChunk(9000 + n, 2, text) for n, text in enumerate(all_texts[:100])])
    live.update({9000 + n: text for n, text in enumerate(all_texts[:100])})
    assert_same_top_k(index, live, queries[:50])

    many = [chunk_id for chunk_id in live if chunk_id % 5 < 2]
    index.delete(many)
    live = {chunk_id: text for chunk_id, text in live.items() if chunk_id not in many}
    assert index.chunk_ids() == set(live)
    assert_same_top_k(index, live, queries[:50])


def test_collection_filter_applies_before_top_k() -> None:
    index = BM25Index()
    index.add([IndexedChunk(n, 1, "indemnity indemnity indemnity clause") for n in range(100)])
    index.add(
        [IndexedChunk(500 + n, 2, f"a long clause about indemnity number {n}") for n in range(3)]
    )
    hits = index.search("indemnity", 3, collections={2})
    assert {hit.chunk_id for hit in hits} == {500, 501, 502}
    assert index.search("indemnity", 3, collections=[]) == []
    assert {hit.chunk_id for hit in index.search("indemnity", 200, collections={1, 2})} == set(
        range(100)
    ) | {500, 501, 502}


def test_deleted_chunks_are_never_returned_and_unknown_ids_are_ignored() -> None:
    index = BM25Index()
    index.add([IndexedChunk(n, 1, f"termination notice period {n}") for n in range(10)])
    index.delete([3, 4, 999])
    found = {hit.chunk_id for hit in index.search("termination notice", 20)}
    assert found == set(range(10)) - {3, 4}
    assert len(index) == 8


def test_adding_an_existing_id_replaces_the_chunk() -> None:
    index = BM25Index()
    index.add([IndexedChunk(1, 1, "warranty"), IndexedChunk(2, 1, "other words")])
    index.add([IndexedChunk(1, 7, "liability cap")])
    assert index.search("warranty", 5) == []
    assert [hit.chunk_id for hit in index.search("liability", 5, collections={7})] == [1]
    assert len(index) == 2


def test_repeated_ids_in_one_call_are_refused() -> None:
    with pytest.raises(ValueError, match="repeat"):
        BM25Index().add([IndexedChunk(1, 1, "a"), IndexedChunk(1, 1, "b")])


def test_ties_order_by_chunk_id_and_k_limits() -> None:
    index = BM25Index()
    index.add([IndexedChunk(n, 1, "same text") for n in (9, 3, 5)])
    index.add([IndexedChunk(20, 1, "unrelated")])
    assert [hit.chunk_id for hit in index.search("same text", 2)] == [3, 5]
    assert index.search("same", 0) == []
    assert index.search("nothing matches", 5) == []


def test_empty_index_searches_saves_and_loads(tmp_path: Path) -> None:
    index = BM25Index()
    assert index.search("anything", 5) == []
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert len(loaded) == 0
    loaded.add([IndexedChunk(1, 1, "first chunk")])
    assert [hit.chunk_id for hit in loaded.search("first", 3)] == [1]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    texts = random_corpus(rng, 400)
    index = BM25Index(k1=1.2, b=0.6)
    index.add([IndexedChunk(n, n % 2, text) for n, text in enumerate(texts)])
    index.delete(range(0, 400, 10))
    queries = [" ".join(rng.choice(" ".join(texts).split(), size=3)) for _ in range(30)]
    before = [index.search(query, 10, collections={1}) for query in queries]
    index.save(tmp_path / "bm25")

    manifest = json.loads((tmp_path / "bm25" / "manifest.json").read_text())
    assert manifest["kind"] == "bm25"
    assert (manifest["k1"], manifest["b"]) == (1.2, 0.6)
    assert manifest["counts"]["chunks"] == 360
    assert manifest["tokenizer"]["stemmer"] == "snowball-english"

    loaded = BM25Index.load(tmp_path / "bm25")
    assert [loaded.search(query, 10, collections={1}) for query in queries] == before
    assert loaded.chunk_ids() == index.chunk_ids()
    assert isinstance(np.load(tmp_path / "bm25" / "weights_data.npy", mmap_mode="r"), np.memmap)


def test_loaded_index_accepts_writes_without_touching_its_files(tmp_path: Path) -> None:
    index = BM25Index()
    index.add([IndexedChunk(n, 1, f"goodwill impairment {n}") for n in range(20)])
    index.save(tmp_path / "bm25")
    saved = (tmp_path / "bm25" / "counts_data.npy").read_bytes()
    loaded = BM25Index.load(tmp_path / "bm25")
    loaded.delete([0, 1])
    loaded.add([IndexedChunk(100, 1, "goodwill write-down")])
    assert 0 not in {hit.chunk_id for hit in loaded.search("goodwill", 50)}
    assert 100 in {hit.chunk_id for hit in loaded.search("write-down", 5)}
    assert (tmp_path / "bm25" / "counts_data.npy").read_bytes() == saved
    assert len(BM25Index.load(tmp_path / "bm25").search("goodwill", 50)) == 20


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    index = BM25Index()
    index.add([IndexedChunk(1, 1, "text")])
    index.save(tmp_path / "bm25")
    manifest_path = tmp_path / "bm25" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match="format version 99"):
        BM25Index.load(tmp_path / "bm25")


def test_searches_beside_writes_see_consistent_snapshots() -> None:
    index = BM25Index()
    index.add([IndexedChunk(n, 1, f"escrow account {n}") for n in range(200)])
    failures: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(200):
                hits = index.search("escrow account", 5)
                assert all(isinstance(hit, SearchHit) for hit in hits)
        except BaseException as error:
            failures.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for n in range(200, 260):
        index.add([IndexedChunk(n, 1, f"escrow release {n}")])
        index.delete([n - 200])
    for reader in readers:
        reader.join()
    assert failures == []
    assert len(index) == 200
