"""Dense vector index over chunks with FAISS, by inner product of normalised embeddings.

Up to ``ann_threshold`` vectors the index is exact (``IndexFlatIP``); past it, an HNSW graph
(``IndexHNSWFlat``, M=32, efConstruction=80) is searched with efSearch=256, close to exact
search in recall at a fraction of its time (``python -m bench.ann_recall``, figures in
docs/results.md). Both sit in an ``IndexIDMap2`` that keeps the chunk id of every position,
so the FAISS file alone says which chunk each vector belongs to.

Collection filters run inside the FAISS search as a bitmap ``IDSelector`` over positions, so
the top ``k`` are the best of the allowed chunks, not a post-filtered remainder. An HNSW graph
explores only part of the collection, so a selective filter would leave results incomplete;
up to ``EXACT_FILTER_FRACTION`` of the vectors the allowed ones are scanned exactly instead
(the graph's flat storage searched with the same selector). Deleting from a flat index
removes the vectors; an HNSW graph cannot remove nodes, so deleted positions are masked out
by the same selector and the graph is rebuilt on save once they pass ``rebuild_fraction``.

FAISS does not allow a search beside a write, so one lock guards the FAISS calls; embedding a
query happens outside it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Self

import faiss
import numpy as np

from indexes.embedder import Embedder, SentenceTransformerEmbedder
from indexes.persist import (
    IndexFormatError,
    atomic_directory,
    load_array,
    read_manifest,
    save_array,
    write_manifest,
)
from indexes.protocols import EmbedProgress, IndexedChunk, SearchHit

FORMAT_VERSION = 1
KIND = "dense"
VECTORS_FILE = "vectors.faiss"
EXACT_FILTER_FRACTION = 0.2
"""On an HNSW graph, filters allowing at most this share of vectors are answered exactly
(a flat scan of the allowed vectors); wider ones search the graph with an efSearch scaled up
by the inverse share, since filtered-out nodes use up the candidate list."""

EMBED_SLICE = 256
"""Texts embedded per call when progress is reported: several of the embedder's own batches, so
it still sorts a slice's texts by length into batches of little padding."""

IndexKind = Literal["flat", "hnsw"]


class DenseIndex:
    """Embedding search over chunks; ``search`` embeds the query with the index's embedder,
    ``search_vector`` takes a ready query vector."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        ann_threshold: int = 200_000,
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 256,
        rebuild_fraction: float = 0.1,
    ) -> None:
        if ann_threshold <= 0 or hnsw_m <= 1 or ef_construction <= 0 or ef_search <= 0:
            raise ValueError("ann_threshold, hnsw_m, ef_construction and ef_search must be > 0")
        if not 0 < rebuild_fraction <= 1:
            raise ValueError(f"rebuild_fraction must be in (0, 1], got {rebuild_fraction}")
        self._embedder = embedder
        self._ann_threshold = ann_threshold
        self._hnsw_m = hnsw_m
        self._ef_construction = ef_construction
        self._ef_search = ef_search
        self._rebuild_fraction = rebuild_fraction
        self._index: Any = None
        self._chunk_ids = np.zeros(0, dtype=np.int64)
        self._collection_ids = np.zeros(0, dtype=np.int64)
        self._live = np.zeros(0, dtype=bool)
        self._mapped = False
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def ef_search(self) -> int:
        """Candidate list size of an HNSW search: higher is slower and closer to exact."""
        return self._ef_search

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        if value <= 0:
            raise ValueError(f"ef_search must be > 0, got {value}")
        self._ef_search = value

    @property
    def kind(self) -> IndexKind:
        """``"hnsw"`` once the index holds an approximate graph, else ``"flat"``."""
        return "hnsw" if self._index is not None and _is_hnsw(self._index) else "flat"

    def __len__(self) -> int:
        return int(np.count_nonzero(self._live))

    def chunk_ids(self) -> set[int]:
        with self._lock:
            return set(self._chunk_ids[self._live].tolist())

    def add(self, chunks: Sequence[IndexedChunk], on_embedded: EmbedProgress | None = None) -> None:
        """Embed and index ``chunks``; a chunk whose id is already indexed replaces the old.
        With ``on_embedded`` the texts are embedded ``EMBED_SLICE`` at a time, and it is told
        after each slice how many are done; the chunks are indexed together at the end."""
        if not chunks:
            return
        vectors = self._embed([chunk.text for chunk in chunks], on_embedded)
        self.add_vectors(
            [chunk.chunk_id for chunk in chunks],
            [chunk.collection_id for chunk in chunks],
            vectors,
        )

    def _embed(self, texts: Sequence[str], on_embedded: EmbedProgress | None) -> np.ndarray:
        if on_embedded is None:
            return self._embedder.encode(texts)
        parts: list[np.ndarray] = []
        for start in range(0, len(texts), EMBED_SLICE):
            parts.append(self._embedder.encode(texts[start : start + EMBED_SLICE]))
            on_embedded(min(start + EMBED_SLICE, len(texts)), len(texts))
        return np.concatenate(parts)

    def add_vectors(
        self,
        chunk_ids: Sequence[int] | np.ndarray,
        collection_ids: Sequence[int] | np.ndarray,
        vectors: np.ndarray,
    ) -> None:
        """Index ready-made vectors (row ``i`` belongs to ``chunk_ids[i]``)."""
        ids = np.asarray(chunk_ids, dtype=np.int64)
        collections = np.asarray(collection_ids, dtype=np.int64)
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or not ids.shape == collections.shape == (matrix.shape[0],):
            raise ValueError(
                f"need one vector per chunk: {ids.size} ids, {collections.size} collection ids, "
                f"vectors of shape {matrix.shape}"
            )
        if np.unique(ids).size != ids.size:
            raise ValueError("chunk ids repeat within one add call")
        if ids.size == 0:
            return
        with self._lock:
            if self._index is None:
                self._index = self._new_index("flat", matrix.shape[1])
            if matrix.shape[1] != self._index.d:
                raise ValueError(
                    f"vectors have {matrix.shape[1]} dimensions, index {self._index.d}"
                )
            self._own_memory()
            self._remove(self._live & np.isin(self._chunk_ids, ids))
            self._index.add_with_ids(matrix, ids)
            self._chunk_ids = np.concatenate([self._chunk_ids, ids])
            self._collection_ids = np.concatenate([self._collection_ids, collections])
            self._live = np.concatenate([self._live, np.ones(ids.size, dtype=bool)])
            if not _is_hnsw(self._index) and len(self) > self._ann_threshold:
                self._rebuild()

    def delete(self, chunk_ids: Iterable[int]) -> None:
        """Remove chunks; ids that are not indexed are ignored."""
        doomed = np.fromiter(chunk_ids, dtype=np.int64)
        with self._lock:
            self._remove(self._live & np.isin(self._chunk_ids, doomed))

    def search(
        self, query: str, k: int, collections: Collection[int] | None = None
    ) -> list[SearchHit]:
        """The ``k`` chunks most similar to ``query``, best first; only chunks of
        ``collections`` when given."""
        if k <= 0 or len(self) == 0:
            return []
        return self.search_vector(self._embedder.encode([query])[0], k, collections)

    def scores(self, query: str, chunk_ids: Collection[int]) -> dict[int, float]:
        """The similarity of ``query`` to each of ``chunk_ids`` that is indexed (a second
        stage's scores for the first stage's candidates)."""
        if not chunk_ids or len(self) == 0:
            return {}
        return self.scores_vector(self._embedder.encode([query])[0], chunk_ids)

    def scores_vector(self, vector: np.ndarray, chunk_ids: Collection[int]) -> dict[int, float]:
        """``scores`` for an already embedded query."""
        wanted = np.fromiter(chunk_ids, dtype=np.int64)
        if wanted.size == 0:
            return {}
        query_vector = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        with self._lock:
            if self._index is None or len(self) == 0:
                return {}
            mask = self._live & np.isin(self._chunk_ids, wanted)
            scores, positions = self._search_inner(query_vector, wanted.size, mask)
            return {
                int(chunk): float(score)
                for chunk, score in zip(self._chunk_ids[positions], scores, strict=True)
            }

    def search_vector(
        self, vector: np.ndarray, k: int, collections: Collection[int] | None = None
    ) -> list[SearchHit]:
        """``search`` for an already embedded query (scores are inner products)."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        if k <= 0:
            return []
        with self._lock:
            index = self._index
            if index is None or len(self) == 0:
                return []
            if query.shape[1] != index.d:
                raise ValueError(f"query has {query.shape[1]} dimensions, index {index.d}")
            mask = None
            if collections is not None:
                allowed = np.fromiter(collections, dtype=np.int64)
                mask = self._live & np.isin(self._collection_ids, allowed)
            elif not self._live.all():
                mask = self._live
            scores, positions = self._search_inner(query, k, mask)
            return [
                SearchHit(chunk_id=int(chunk), score=float(score))
                for chunk, score in zip(self._chunk_ids[positions], scores, strict=True)
            ]

    def save(self, path: Path) -> None:
        """Write the index to directory ``path`` atomically."""
        with self._lock:
            if self._index is not None and self._dead_fraction() > self._rebuild_fraction:
                self._rebuild()
            with atomic_directory(path) as staging:
                if self._index is not None:
                    faiss.write_index(self._index, str(staging / VECTORS_FILE))
                save_array(staging, "collection_ids", self._collection_ids)
                save_array(staging, "live", self._live)
                write_manifest(
                    staging,
                    {
                        "kind": KIND,
                        "format_version": FORMAT_VERSION,
                        "model_name": self._embedder.model_name,
                        "dim": None if self._index is None else int(self._index.d),
                        "metric": "inner_product",
                        "index_kind": self.kind,
                        "hnsw": {
                            "m": self._hnsw_m,
                            "ef_construction": self._ef_construction,
                            "ef_search": self._ef_search,
                        },
                        "ann_threshold": self._ann_threshold,
                        "rebuild_fraction": self._rebuild_fraction,
                        "counts": {"vectors": int(self._live.size), "live": len(self)},
                    },
                )

    @classmethod
    def load(cls, path: Path, embedder: Embedder | None = None) -> Self:
        """Open an index saved by ``save``; the FAISS file is memory-mapped. ``embedder``
        defaults to the packaged model and must be the model the index was built with."""
        manifest = read_manifest(path, kind=KIND, format_version=FORMAT_VERSION)
        embedder = embedder or SentenceTransformerEmbedder()
        if embedder.model_name != manifest["model_name"]:
            raise IndexFormatError(
                f"{path} holds vectors of model {manifest['model_name']!r}, but the embedder is "
                f"{embedder.model_name!r}; rebuild the index or configure that model"
            )
        hnsw = manifest["hnsw"]
        index = cls(
            embedder,
            ann_threshold=manifest["ann_threshold"],
            hnsw_m=hnsw["m"],
            ef_construction=hnsw["ef_construction"],
            ef_search=hnsw["ef_search"],
            rebuild_fraction=manifest["rebuild_fraction"],
        )
        index._collection_ids = load_array(path, "collection_ids")
        index._live = load_array(path, "live")
        if manifest["dim"] is not None:
            file = str(Path(path) / VECTORS_FILE)
            index._index = faiss.read_index(file, faiss.IO_FLAG_MMAP_IFC)
            index._mapped = True
            index._chunk_ids = faiss.vector_to_array(index._index.id_map).astype(np.int64)
        if not index._chunk_ids.size == index._collection_ids.size == index._live.size:
            raise IndexFormatError(f"{path} is inconsistent: array sizes differ; rebuild it")
        return index

    def _search_inner(
        self, query: np.ndarray, k: int, mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and positions of the best ``k`` vectors among ``mask`` (all when None)."""
        searched = faiss.downcast_index(self._index.index)
        total = int(searched.ntotal)
        fraction = 1.0
        selector = None
        if mask is not None:
            allowed = int(np.count_nonzero(mask))
            if allowed == 0:
                return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
            fraction = allowed / total
            bitmap = np.packbits(mask, bitorder="little")  # lives until the search is done
            selector = faiss.IDSelectorBitmap(total, faiss.swig_ptr(bitmap))
        params: Any
        if isinstance(searched, faiss.IndexHNSW) and fraction > EXACT_FILTER_FRACTION:
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = math.ceil(max(self._ef_search, k) / fraction)
        else:
            if isinstance(searched, faiss.IndexHNSW):
                searched = faiss.downcast_index(searched.storage)
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        with _single_threaded():
            scores, positions = searched.search(query, min(k, total), params=params)
        found = positions[0] >= 0
        return scores[0][found], positions[0][found]

    def _remove(self, doomed: np.ndarray) -> None:
        """Drop the positions marked in ``doomed`` (caller holds the lock)."""
        if not doomed.any():
            return
        if _is_hnsw(self._index):
            self._live = self._live & ~doomed
            return
        self._own_memory()
        self._index.remove_ids(faiss.IDSelectorBatch(self._chunk_ids[doomed]))
        keep = ~doomed
        self._chunk_ids = self._chunk_ids[keep]
        self._collection_ids = self._collection_ids[keep]
        self._live = self._live[keep]

    def _own_memory(self) -> None:
        """Copy a memory-mapped index into memory before changing it: FAISS writes in place,
        and the mapping is read-only (and belongs to a saved file)."""
        if self._mapped:
            self._index = faiss.deserialize_index(faiss.serialize_index(self._index))
            self._mapped = False

    def _rebuild(self) -> None:
        """Rebuild from the live vectors, as HNSW past ``ann_threshold`` else flat."""
        keep = np.flatnonzero(self._live)
        vectors = faiss.downcast_index(self._index.index).reconstruct_batch(keep)
        kind: IndexKind = "hnsw" if keep.size > self._ann_threshold else "flat"
        index = self._new_index(kind, int(self._index.d))
        index.add_with_ids(vectors, self._chunk_ids[keep])
        self._index = index
        self._mapped = False
        self._chunk_ids = self._chunk_ids[keep]
        self._collection_ids = self._collection_ids[keep]
        self._live = np.ones(keep.size, dtype=bool)

    def _new_index(self, kind: IndexKind, dim: int) -> Any:
        if kind == "flat":
            return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        graph = faiss.IndexHNSWFlat(dim, self._hnsw_m, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = self._ef_construction
        graph.hnsw.efSearch = self._ef_search
        return faiss.IndexIDMap2(graph)

    def _dead_fraction(self) -> float:
        return 0.0 if self._live.size == 0 else 1 - len(self) / self._live.size


def _is_hnsw(index: Any) -> bool:
    return isinstance(faiss.downcast_index(index.index), faiss.IndexHNSW)


@contextmanager
def _single_threaded() -> Iterator[None]:
    """Run FAISS calls of this thread without an OpenMP team: for one query a team costs more
    than it saves (several times slower on a busy machine), and concurrent requests already
    keep the cores busy. OpenMP thread counts are per calling thread, so others are unaffected.
    """
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)
