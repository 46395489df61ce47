"""Keyword and dense search kept in step, and fused at query time.

BM25 finds exact terms (clause numbers, drug names, amounts) that embeddings blur; embeddings
find paraphrases that share no term. The hybrid index writes every change to both and fuses
their top candidates per query. Saving writes both into one directory atomically, so the two
halves on disk always hold the same chunks. An optional third part, a dense index of a larger
model, holds the same chunks too and re-scores the best fused candidates where configured
(``indexes.second_stage``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

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
from indexes.protocols import ChunkIndex, EmbedProgress, IndexedChunk, SearchHit
from indexes.second_stage import rescore
from indexes.tokenize import Tokenizer, TokenizerSettings

FORMAT_VERSION = 1
KIND = "hybrid"
BM25_DIR = "bm25"
DENSE_DIR = "dense"
SECOND_DIR = "second"

SearchMode = Literal["bm25", "dense", "hybrid"]
FusionMethod = Literal["rrf", "convex"]


@dataclass(frozen=True)
class FusionConfig:
    """How hybrid search fuses: ``candidates`` hits from each index, combined by reciprocal
    rank fusion (constant ``rrf_k``) or by a convex sum giving the dense score
    ``convex_alpha`` of the weight; then, with a ``second_stage_weight`` above 0 and an index
    that has a second stage, its best ``second_stage_candidates`` re-scored
    (``indexes.second_stage``)."""

    method: FusionMethod = "rrf"
    rrf_k: int = 60
    convex_alpha: float = 0.5
    candidates: int = 50
    second_stage_weight: float = 0.0
    second_stage_candidates: int = 50


@dataclass(frozen=True)
class HybridConfig:
    """How a new hybrid index is built: whether its tokenizer stems, its BM25 parameters
    ``bm25_k1`` and ``bm25_b``, the chunk count past which its dense parts search
    approximately (``ann_threshold``), and how it fuses when a search names no ``fusion``.
    The defaults are those of the parts themselves."""

    fusion: FusionConfig = FusionConfig()
    stemming: bool = True
    bm25_k1: float = 1.5
    bm25_b: float = 0.75
    ann_threshold: int = 200_000


class HybridIndex:
    """A BM25 index and a dense index over the same chunks, and optionally a ``second``
    dense index of a larger model over them too, for the second stage.

    Writes (``add``, ``delete``, ``save``) are serialised by one lock, so callers need not;
    searches take no lock and may run beside a write.
    """

    def __init__(
        self,
        bm25: ChunkIndex,
        dense: DenseIndex,
        fusion: FusionConfig | None = None,
        *,
        text_version: int = 1,
        second: DenseIndex | None = None,
    ) -> None:
        self._bm25 = bm25
        self._dense = dense
        self._second = second
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
    def dense(self) -> DenseIndex:
        return self._dense

    @property
    def second(self) -> DenseIndex | None:
        return self._second

    def _parts(self) -> list[ChunkIndex]:
        """Every part, those that embed (and so may fail) first."""
        return [*self._embedding_parts(), self._bm25]

    def _embedding_parts(self) -> list[DenseIndex]:
        return [self._dense] if self._second is None else [self._dense, self._second]

    def __len__(self) -> int:
        return len(self.chunk_ids())

    def chunk_ids(self) -> set[int]:
        """Ids indexed by every part; compare with the database to find what to (re)index."""
        return set.intersection(*(part.chunk_ids() for part in self._parts()))

    def held_ids(self) -> set[int]:
        """Ids indexed by any part; those not stored any more are to be deleted, even from a
        part that alone still holds them."""
        return set.union(*(part.chunk_ids() for part in self._parts()))

    def add(self, chunks: Sequence[IndexedChunk], on_embedded: EmbedProgress | None = None) -> None:
        """Index ``chunks`` in every part (replacing chunks with the same ids). The dense parts
        go first: embedding is what can fail, and then BM25 has not changed (a chunk the first
        dense part took is still missing from ``chunk_ids`` and is indexed again).

        ``on_embedded`` follows the embedding of every dense part as one count: with a second
        stage each chunk is embedded twice, and the total says so."""
        with self._lock:
            embedding = self._embedding_parts()
            for position, part in enumerate(embedding):
                part.add(chunks, _offset(on_embedded, position * len(chunks), len(embedding)))
            self._bm25.add(chunks)

    def fill(self, chunks: Sequence[IndexedChunk]) -> None:
        """Index each of ``chunks`` only in the parts that lack it: a repair after one part
        was started afresh (a second stage turned on, a part saved with another model) embeds
        for that part alone, and the other parts keep what they hold."""
        with self._lock:
            for part in self._parts():
                held = part.chunk_ids()
                part.add([chunk for chunk in chunks if chunk.chunk_id not in held])

    def delete(self, chunk_ids: Iterable[int]) -> None:
        ids = list(chunk_ids)
        with self._lock:
            for part in self._parts():
                part.delete(ids)

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
        if config.second_stage_weight <= 0 or self._second is None:
            return fuse(rankings, config, k)
        fused = fuse(rankings, config, max(k, config.second_stage_candidates))
        pool, rest = (
            fused[: config.second_stage_candidates],
            fused[config.second_stage_candidates :],
        )
        second = self._second.scores(query, [hit.chunk_id for hit in pool])
        if any(hit.chunk_id not in second for hit in pool):
            return fused[:k]  # a part not yet in step with the others: keep the first stage
        return (rescore(pool, second, config.second_stage_weight) + rest)[:k]

    def save(self, path: Path) -> None:
        """Write every part under ``path`` (``bm25/``, ``dense/``, ``second/``) in one atomic
        step."""
        parts = {"bm25": BM25_DIR, "dense": DENSE_DIR}
        counts = {"bm25": len(self._bm25), "dense": len(self._dense)}
        with self._lock, atomic_directory(path) as staging:
            self._bm25.save(staging / BM25_DIR)
            self._dense.save(staging / DENSE_DIR)
            if self._second is not None:
                self._second.save(staging / SECOND_DIR)
                parts["second"] = SECOND_DIR
                counts["second"] = len(self._second)
            write_manifest(
                staging,
                {
                    "kind": KIND,
                    "format_version": FORMAT_VERSION,
                    "parts": parts,
                    "text_version": self._text_version,
                    "counts": counts,
                },
            )

    @classmethod
    def load(
        cls,
        path: Path,
        embedder: Embedder,
        fusion: FusionConfig | None = None,
        *,
        second_embedder: Embedder | None = None,
    ) -> HybridIndex:
        """Open an index saved by ``save``; ``embedder`` must be the model it was built with.

        With a ``second_embedder`` the second part is opened too, or started empty when the
        index has none, or one it cannot read (another model's): every chunk then counts as
        missing from the index, and the drift repair that compares it with storage embeds them
        all. Without
        one, a saved second part is left out (and dropped at the next save)."""
        manifest = read_manifest(path, kind=KIND, format_version=FORMAT_VERSION)
        path = Path(path)
        second = None
        if second_embedder is not None:
            second = DenseIndex(second_embedder)
            # another model's vectors leave it empty, for the drift repair to refill
            with contextlib.suppress(IndexFormatError):
                if "second" in manifest["parts"]:
                    second = DenseIndex.load(path / SECOND_DIR, second_embedder)
        return cls(
            BM25Index.load(path / BM25_DIR),
            DenseIndex.load(path / DENSE_DIR, embedder),
            fusion,
            text_version=int(manifest.get("text_version", 1)),
            second=second,
        )


def _offset(report: EmbedProgress | None, before: int, passes: int) -> EmbedProgress | None:
    """``report`` told of one pass over the chunks as part of ``passes`` passes, after
    ``before`` texts embedded by the earlier ones."""
    if report is None:
        return None

    def told(done: int, of: int) -> None:
        report(before + done, of * passes)

    return told


def fuse(rankings: Sequence[Sequence[SearchHit]], config: FusionConfig, k: int) -> list[SearchHit]:
    """The ``k`` best of a BM25 and a dense ranking (in that order) fused as ``config`` says."""
    if config.method == "convex":
        alpha = config.convex_alpha
        return convex_fusion(rankings, [1 - alpha, alpha])[:k]
    return reciprocal_rank_fusion(rankings, k=config.rrf_k)[:k]


def open_hybrid_index(
    index_dir: Path,
    config: HybridConfig,
    embedder: Embedder,
    *,
    text_version: int = 1,
    second_embedder: Embedder | None = None,
) -> HybridIndex:
    """The hybrid index saved in ``index_dir``, or a new empty one built as ``config`` says
    (and tagged ``text_version``) when the directory is absent or empty. A saved index keeps
    the tokenizer and BM25 parameters it was built with, since its terms were produced by them,
    and the text version it was saved with. It has a second stage when a ``second_embedder``
    is given."""
    index_dir = Path(index_dir)
    recover_interrupted_save(index_dir)
    if (index_dir / MANIFEST_NAME).is_file():
        return HybridIndex.load(index_dir, embedder, config.fusion, second_embedder=second_embedder)
    if index_dir.exists() and any(index_dir.iterdir()):
        raise IndexFormatError(
            f"{index_dir} is not empty but holds no index manifest; move its content away "
            "or point the index directory elsewhere"
        )
    return empty_hybrid_index(
        config, embedder, text_version=text_version, second_embedder=second_embedder
    )


def empty_hybrid_index(
    config: HybridConfig,
    embedder: Embedder,
    *,
    text_version: int = 1,
    second_embedder: Embedder | None = None,
) -> HybridIndex:
    """A new hybrid index with no chunks, built as ``config`` says; with a second stage when a
    ``second_embedder`` is given."""
    bm25 = BM25Index(
        Tokenizer(TokenizerSettings(stemming=config.stemming)),
        k1=config.bm25_k1,
        b=config.bm25_b,
    )
    dense = DenseIndex(embedder, ann_threshold=config.ann_threshold)
    second = (
        None
        if second_embedder is None
        else DenseIndex(second_embedder, ann_threshold=config.ann_threshold)
    )
    return HybridIndex(bm25, dense, config.fusion, text_version=text_version, second=second)
