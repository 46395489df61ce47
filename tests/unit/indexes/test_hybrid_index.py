from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexes.bm25 import BM25Index
from indexes.dense import DenseIndex
from indexes.hybrid import FusionConfig, HybridConfig, HybridIndex, open_hybrid_index
from indexes.persist import IndexFormatError
from indexes.protocols import IndexedChunk
from tests.unit.indexes.index_fakes import HashingEmbedder

CHUNKS = [
    IndexedChunk(1, 10, "The tenant shall pay rent on the first day of each month."),
    IndexedChunk(2, 10, "Either party may terminate this lease with ninety days notice."),
    IndexedChunk(3, 20, "Revenue increased 12% to $5m driven by subscription sales."),
    IndexedChunk(4, 20, "Goodwill impairment of $1,234.5 was recorded under § 4.2."),
    IndexedChunk(5, 30, "Patients received 10mg of the study drug twice daily."),
]


def new_index(embedder: HashingEmbedder, fusion: FusionConfig | None = None) -> HybridIndex:
    index = HybridIndex(BM25Index(), DenseIndex(embedder), fusion)
    index.add(CHUNKS)
    return index


def test_modes_search_one_index_or_both(embedder: HashingEmbedder) -> None:
    index = new_index(embedder)
    assert index.search("§ 4.2 goodwill", 1, mode="bm25")[0].chunk_id == 4
    assert index.search("terminate lease", 1, mode="dense")[0].chunk_id == 2
    assert index.search("terminate lease", 1)[0].chunk_id == 2
    assert index.search("rent", 5, collections={20}, mode="hybrid") != []
    assert {hit.chunk_id for hit in index.search("rent", 5, collections={20})} <= {3, 4}
    with pytest.raises(ValueError, match="unknown search mode"):
        index.search("rent", 5, mode="keyword")  # type: ignore[arg-type]
    assert index.search("rent", 0) == []


def test_hybrid_fuses_hits_found_by_only_one_side(embedder: HashingEmbedder) -> None:
    index = new_index(embedder)
    bm25_ids = {hit.chunk_id for hit in index.search("12%", 5, mode="bm25")}
    dense_ids = {hit.chunk_id for hit in index.search("12%", 5, mode="dense")}
    fused_ids = {hit.chunk_id for hit in index.search("12%", 5)}
    assert bm25_ids == {3}
    assert dense_ids - bm25_ids
    assert fused_ids == (bm25_ids | dense_ids)


def test_convex_alpha_one_follows_the_dense_order(embedder: HashingEmbedder) -> None:
    index = new_index(embedder, FusionConfig(method="convex", convex_alpha=1.0))
    dense = [hit.chunk_id for hit in index.search("drug patients rent", 3, mode="dense")]
    assert [hit.chunk_id for hit in index.search("drug patients rent", 3)] == dense


def test_add_and_delete_reach_both_halves(embedder: HashingEmbedder) -> None:
    index = new_index(embedder)
    assert index.chunk_ids() == {1, 2, 3, 4, 5}
    index.delete(iter([2, 3]))
    assert index.bm25.chunk_ids() == index.dense.chunk_ids() == {1, 4, 5}
    assert len(index) == 3
    assert all(hit.chunk_id not in {2, 3} for hit in index.search("terminate revenue", 5))


def test_failed_embedding_changes_neither_half(embedder: HashingEmbedder) -> None:
    class BrokenEmbedder(HashingEmbedder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("model crashed")

    index = HybridIndex(BM25Index(), DenseIndex(BrokenEmbedder()))
    with pytest.raises(RuntimeError, match="model crashed"):
        index.add(CHUNKS)
    assert index.bm25.chunk_ids() == index.dense.chunk_ids() == set()


def test_save_and_load_round_trip(embedder: HashingEmbedder, tmp_path: Path) -> None:
    index = new_index(embedder)
    index.delete([5])
    queries = ["rent month", "goodwill § 4.2", "revenue 12%"]
    before = [index.search(query, 3) for query in queries]
    index.save(tmp_path / "index")
    assert (tmp_path / "index" / "bm25" / "manifest.json").is_file()
    assert (tmp_path / "index" / "dense" / "manifest.json").is_file()
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["kind"] == "hybrid"
    assert manifest["counts"] == {"bm25": 4, "dense": 4}

    loaded = HybridIndex.load(tmp_path / "index", embedder)
    assert loaded.chunk_ids() == {1, 2, 3, 4}
    assert [loaded.search(query, 3) for query in queries] == before


def test_failed_save_keeps_the_previous_index(
    embedder: HashingEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = new_index(embedder)
    index.save(tmp_path / "index")
    index.add([IndexedChunk(6, 10, "brand new clause")])

    def broken_save(self: DenseIndex, path: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(DenseIndex, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        index.save(tmp_path / "index")
    monkeypatch.undo()
    loaded = HybridIndex.load(tmp_path / "index", embedder)
    assert loaded.chunk_ids() == {1, 2, 3, 4, 5}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["index"]


def test_open_creates_then_loads(embedder: HashingEmbedder, tmp_path: Path) -> None:
    config = HybridConfig(
        FusionConfig(method="convex", convex_alpha=1.0), stemming=False, bm25_k1=1.2
    )
    index = open_hybrid_index(tmp_path / "index", config, embedder)
    assert len(index) == 0
    assert isinstance(index.bm25, BM25Index)
    assert not index.bm25.tokenizer.settings.stemming
    index.add(CHUNKS)
    index.save(tmp_path / "index")

    reopened = open_hybrid_index(tmp_path / "index", config, embedder)
    assert reopened.chunk_ids() == {1, 2, 3, 4, 5}
    dense = [hit.chunk_id for hit in reopened.search("drug rent", 3, mode="dense")]
    assert [hit.chunk_id for hit in reopened.search("drug rent", 3)] == dense
    manifest = json.loads((tmp_path / "index" / "bm25" / "manifest.json").read_text())
    assert manifest["k1"] == 1.2


def test_open_refuses_a_foreign_directory(embedder: HashingEmbedder, tmp_path: Path) -> None:
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "notes.txt").write_text("not an index")
    with pytest.raises(IndexFormatError, match="not empty"):
        open_hybrid_index(tmp_path / "index", HybridConfig(), embedder)


def test_search_uses_the_fusion_it_is_given(embedder: HashingEmbedder) -> None:
    fillers = ["lease termination notice", "rent due monthly", "drug dose daily", "audit fee"]
    chunks = [
        IndexedChunk(1, 1, "dividend policy dividend payout dividend"),
        IndexedChunk(2, 1, "the board sets how much profit is paid to shareholders each year"),
        IndexedChunk(3, 1, "profit paid to shareholders as a dividend"),
        *(IndexedChunk(10 + n, 1, text) for n, text in enumerate(fillers)),
    ]
    index = HybridIndex(BM25Index(), DenseIndex(embedder), FusionConfig(method="rrf"))
    index.add(chunks)
    query = "dividend paid to shareholders"
    dense_only = FusionConfig(method="convex", convex_alpha=1.0)
    bm25_only = FusionConfig(method="convex", convex_alpha=0.0)
    dense = [hit.chunk_id for hit in index.search(query, 3, mode="dense")]
    bm25 = [hit.chunk_id for hit in index.search(query, 3, mode="bm25")]
    assert dense != bm25
    assert [hit.chunk_id for hit in index.search(query, 3, fusion=dense_only)] == dense
    assert [hit.chunk_id for hit in index.search(query, 2, fusion=bm25_only)] == bm25[:2]


def test_concurrent_writers_are_serialised(embedder: HashingEmbedder) -> None:
    index = HybridIndex(BM25Index(), DenseIndex(embedder))

    def write(start: int) -> None:
        for n in range(start, start + 40):
            index.add([IndexedChunk(n, 1, f"clause number {n} of the lease")])
            index.search("lease clause", 3)

    writers = [threading.Thread(target=write, args=(start,)) for start in (0, 100, 200)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    expected = {n for start in (0, 100, 200) for n in range(start, start + 40)}
    assert index.bm25.chunk_ids() == index.dense.chunk_ids() == expected
