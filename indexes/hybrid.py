"""Keyword and dense search kept in step, and fused at query time.

BM25 finds exact terms (clause numbers, drug names, amounts) that embeddings blur; embeddings
find paraphrases that share no term. The hybrid index writes every change to both and fuses
their top candidates per query. Saving writes both into one directory atomically, so the two
halves on disk always hold the same chunks.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from assistant.settings import IndexSettings
from indexes.bm25 import BM25Index
from indexes.dense import DenseIndex
from indexes.embedder import Embedder
from indexes.fusion import convex_fusion, reciprocal_rank_fusion
from indexes.persist import (
    MANIFEST_NAME,
    IndexFormatError,
    atomic_directory,
    read_manifest,
    recover_interrupted_save,
    write_manifest,
)
from indexes.protocols import ChunkIndex, IndexedChunk, SearchHit
from indexes.tokenize import Tokenizer, TokenizerSettings

FORMAT_VERSION = 1
KIND = "hybrid"
BM25_DIR = "bm25"
DENSE_DIR = "dense"

SearchMode = Literal["bm25", "dense", "hybrid"]
FusionMethod = Literal["rrf", "convex"]


@dataclass(frozen=True)
class FusionConfig:
    """How hybrid search fuses: ``candidates`` hits from each index, combined by reciprocal
    rank fusion (constant ``rrf_k``) or by a convex sum giving the dense score
    ``convex_alpha`` of the weight."""

    method: FusionMethod = "rrf"
    rrf_k: int = 60
    convex_alpha: float = 0.5
    candidates: int = 50

    @classmethod
    def from_settings(cls, settings: IndexSettings) -> FusionConfig:
        return cls(
            method=settings.fusion,
            rrf_k=settings.rrf_k,
            convex_alpha=settings.convex_alpha,
            candidates=settings.candidates,
        )

    @classmethod
    def for_collection(cls, settings: IndexSettings, name: str) -> FusionConfig:
        """The index-wide setting with the collection's own values (if any) in place."""
        default = cls.from_settings(settings)
        own = settings.collection_fusion.get(name)
        if own is None:
            return default
        return cls(
            method=default.method if own.fusion is None else own.fusion,
            rrf_k=default.rrf_k if own.rrf_k is None else own.rrf_k,
            convex_alpha=default.convex_alpha if own.convex_alpha is None else own.convex_alpha,
            candidates=default.candidates if own.candidates is None else own.candidates,
        )

    @classmethod
    def for_collections(cls, settings: IndexSettings, names: Iterable[str]) -> FusionConfig:
        """The setting of a search over ``names``: theirs when they all resolve to the same
        one, else the index-wide one. Scores fused in different ways are not comparable, and
        no collection's setting is more right than another's for a mixed result list."""
        found = {cls.for_collection(settings, name) for name in names}
        return found.pop() if len(found) == 1 else cls.from_settings(settings)


class HybridIndex:
    """A BM25 index and a dense index over the same chunks.

    Writes (``add``, ``delete``, ``save``) are serialised by one lock, so callers need not;
    searches take no lock and may run beside a write.
    """

    def __init__(
        self,
        bm25: ChunkIndex,
        dense: ChunkIndex,
        fusion: FusionConfig | None = None,
        *,
        text_version: int = 1,
    ) -> None:
        self._bm25 = bm25
        self._dense = dense
        self._fusion = fusion or FusionConfig()
        self._text_version = text_version
        self._lock = threading.Lock()

    @property
    def text_version(self) -> int:
        """The caller's version of how it turns chunks into the texts it indexes, saved with
        the index, so that an index built from texts of an earlier kind can be told apart."""
        return self._text_version

    @property
    def bm25(self) -> ChunkIndex:
        return self._bm25

    @property
    def dense(self) -> ChunkIndex:
        return self._dense

    def __len__(self) -> int:
        return len(self.chunk_ids())

    def chunk_ids(self) -> set[int]:
        """Ids indexed by both halves; compare with the database to find what to (re)index."""
        return self._bm25.chunk_ids() & self._dense.chunk_ids()

    def add(self, chunks: Sequence[IndexedChunk]) -> None:
        """Index ``chunks`` in both halves (replacing chunks with the same ids). The dense half
        goes first: embedding is what can fail, and then neither half has changed."""
        with self._lock:
            self._dense.add(chunks)
            self._bm25.add(chunks)

    def delete(self, chunk_ids: Iterable[int]) -> None:
        ids = list(chunk_ids)
        with self._lock:
            self._dense.delete(ids)
            self._bm25.delete(ids)

    def search(
        self,
        query: str,
        k: int,
        collections: Collection[int] | None = None,
        mode: SearchMode = "hybrid",
        fusion: FusionConfig | None = None,
    ) -> list[SearchHit]:
        """The ``k`` best chunks for ``query`` by one index or by both fused (as ``fusion``
        says, else as the index was configured)."""
        if mode not in get_args(SearchMode):
            raise ValueError(f"unknown search mode {mode!r}; use one of {get_args(SearchMode)}")
        if k <= 0:
            return []
        if mode == "bm25":
            return self._bm25.search(query, k, collections)
        if mode == "dense":
            return self._dense.search(query, k, collections)
        config = fusion or self._fusion
        depth = max(k, config.candidates)
        rankings = [
            self._bm25.search(query, depth, collections),
            self._dense.search(query, depth, collections),
        ]
        return fuse(rankings, config, k)

    def save(self, path: Path) -> None:
        """Write both halves under ``path`` (``bm25/``, ``dense/``) in one atomic step."""
        with self._lock, atomic_directory(path) as staging:
            self._bm25.save(staging / BM25_DIR)
            self._dense.save(staging / DENSE_DIR)
            write_manifest(
                staging,
                {
                    "kind": KIND,
                    "format_version": FORMAT_VERSION,
                    "parts": {"bm25": BM25_DIR, "dense": DENSE_DIR},
                    "text_version": self._text_version,
                    "counts": {"bm25": len(self._bm25), "dense": len(self._dense)},
                },
            )

    @classmethod
    def load(
        cls, path: Path, embedder: Embedder, fusion: FusionConfig | None = None
    ) -> HybridIndex:
        """Open an index saved by ``save``; ``embedder`` must be the model it was built with."""
        manifest = read_manifest(path, kind=KIND, format_version=FORMAT_VERSION)
        path = Path(path)
        return cls(
            BM25Index.load(path / BM25_DIR),
            DenseIndex.load(path / DENSE_DIR, embedder),
            fusion,
            text_version=int(manifest.get("text_version", 1)),
        )


def fuse(rankings: Sequence[Sequence[SearchHit]], config: FusionConfig, k: int) -> list[SearchHit]:
    """The ``k`` best of a BM25 and a dense ranking (in that order) fused as ``config`` says."""
    if config.method == "convex":
        alpha = config.convex_alpha
        return convex_fusion(rankings, [1 - alpha, alpha])[:k]
    return reciprocal_rank_fusion(rankings, k=config.rrf_k)[:k]


def open_hybrid_index(
    index_dir: Path, settings: IndexSettings, embedder: Embedder, *, text_version: int = 1
) -> HybridIndex:
    """The hybrid index saved in ``index_dir``, or a new empty one configured by ``settings``
    (and tagged ``text_version``) when the directory is absent or empty. A saved index keeps
    the tokenizer and BM25 parameters it was built with, since its terms were produced by them,
    and the text version it was saved with."""
    index_dir = Path(index_dir)
    recover_interrupted_save(index_dir)
    if (index_dir / MANIFEST_NAME).is_file():
        return HybridIndex.load(index_dir, embedder, FusionConfig.from_settings(settings))
    if index_dir.exists() and any(index_dir.iterdir()):
        raise IndexFormatError(
            f"{index_dir} is not empty but holds no index manifest; move its content away "
            "or point the index directory elsewhere"
        )
    return empty_hybrid_index(settings, embedder, text_version=text_version)


def empty_hybrid_index(
    settings: IndexSettings, embedder: Embedder, *, text_version: int = 1
) -> HybridIndex:
    """A new hybrid index with no chunks, configured by ``settings``."""
    bm25 = BM25Index(
        Tokenizer(TokenizerSettings(stemming=settings.stemming)),
        k1=settings.bm25_k1,
        b=settings.bm25_b,
    )
    dense = DenseIndex(embedder, ann_threshold=settings.ann_threshold)
    return HybridIndex(bm25, dense, FusionConfig.from_settings(settings), text_version=text_version)
