"""BM25 keyword index over chunks, scored with precomputed sparse term weights.

Scores equal ``rank_bm25.BM25Okapi`` over the live chunks (same IDF with its epsilon floor
for negative IDF, same length normalisation), so BM25Okapi serves as the reference in tests,
but a query costs a few sparse row reads instead of a Python loop over every chunk.

Storage is two sparse matrices: term counts (chunks x terms, the source of truth) and BM25
term weights (terms x chunks, what a query reads). Adding or deleting chunks changes IDF and
the average length for every chunk, exactly as rebuilding BM25Okapi would, so a write only
records the counts and drops the weights; the next search recomputes them from the counts in
one vectorised pass, so a burst of writes pays for one rebuild. Deleted chunks are tombstoned
and dropped for good when they pass a fifth of the rows and on save.

Every write publishes a new immutable ``_Corpus`` snapshot, so a search running beside a write
sees either the old corpus or the new one, never a mix.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Self

import numpy as np
from scipy import sparse

from indexes.persist import (
    IndexFormatError,
    atomic_directory,
    load_array,
    read_manifest,
    save_array,
    write_manifest,
)
from indexes.protocols import IndexedChunk, SearchHit
from indexes.tokenize import Tokenizer, TokenizerSettings

FORMAT_VERSION = 1
KIND = "bm25"
COMPACT_FRACTION = 0.2
"""Share of deleted rows past which a write drops them from the arrays."""

_Array = np.ndarray


@dataclass(frozen=True)
class _Sparse:
    """A CSR matrix as its three arrays, kept apart from scipy so that memory-mapped arrays
    stay mapped (scipy may convert index dtypes, which copies)."""

    indptr: _Array
    indices: _Array
    data: _Array

    @classmethod
    def of(cls, matrix: sparse.csr_matrix) -> _Sparse:
        return cls(indptr=matrix.indptr, indices=matrix.indices, data=matrix.data)

    def matrix(self, columns: int) -> sparse.csr_matrix:
        return sparse.csr_matrix(
            (self.data, self.indices, self.indptr), shape=(self.indptr.size - 1, columns)
        )


class _LazyWeights:
    """A snapshot's weights, computed once on first use; concurrent first uses wait for one
    computation instead of each doing it."""

    def __init__(self, weights: _Sparse | None = None) -> None:
        self._weights = weights
        self._lock = threading.Lock()

    def get(self, compute: Callable[[], _Sparse]) -> _Sparse:
        weights = self._weights
        if weights is None:
            with self._lock:
                weights = self._weights
                if weights is None:
                    weights = compute()
                    self._weights = weights
        return weights


@dataclass(frozen=True)
class _Corpus:
    """One consistent state of the index. Rows are chunks in insertion order. The vocabulary
    only grows between compactions and may be shared with newer snapshots, so ``n_terms``
    bounds the term ids this snapshot knows."""

    vocabulary: dict[str, int]
    counts: _Sparse
    doc_len: _Array
    chunk_ids: _Array
    collection_ids: _Array
    live: _Array
    n_terms: int
    weights: _LazyWeights = field(default_factory=_LazyWeights)

    @property
    def n_live(self) -> int:
        return int(np.count_nonzero(self.live))


def _empty_corpus() -> _Corpus:
    return _Corpus(
        vocabulary={},
        counts=_Sparse.of(sparse.csr_matrix((0, 0), dtype=np.int32)),
        doc_len=np.zeros(0, dtype=np.int32),
        chunk_ids=np.zeros(0, dtype=np.int64),
        collection_ids=np.zeros(0, dtype=np.int64),
        live=np.zeros(0, dtype=bool),
        n_terms=0,
    )


class BM25Index:
    """Okapi BM25 over chunk texts, with collection filtering, incremental updates and an
    on-disk form that loads memory-mapped."""

    def __init__(
        self,
        tokenizer: Tokenizer | None = None,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        if k1 < 0 or not 0 <= b <= 1 or epsilon < 0:
            raise ValueError(f"BM25 needs k1 >= 0, 0 <= b <= 1, epsilon >= 0: {k1}, {b}, {epsilon}")
        self._tokenizer = tokenizer or Tokenizer()
        self._k1 = k1
        self._b = b
        self._epsilon = epsilon
        self._corpus = _empty_corpus()

    @property
    def tokenizer(self) -> Tokenizer:
        return self._tokenizer

    def __len__(self) -> int:
        return self._corpus.n_live

    def chunk_ids(self) -> set[int]:
        corpus = self._corpus
        return set(corpus.chunk_ids[corpus.live].tolist())

    def add(self, chunks: Sequence[IndexedChunk]) -> None:
        """Index ``chunks``; a chunk whose id is already indexed replaces the old one."""
        if not chunks:
            return
        new_ids = np.array([chunk.chunk_id for chunk in chunks], dtype=np.int64)
        if np.unique(new_ids).size != new_ids.size:
            raise ValueError("chunk ids repeat within one add() call")
        documents = [self._tokenizer(chunk.text) for chunk in chunks]
        corpus = self._corpus
        vocabulary = corpus.vocabulary
        rows = _count_rows(documents, vocabulary)
        n_terms = len(vocabulary)
        old = corpus.counts.matrix(n_terms)
        new_collections = np.array([chunk.collection_id for chunk in chunks], dtype=np.int64)
        self._publish(
            _Corpus(
                vocabulary=vocabulary,
                counts=_Sparse.of(sparse.vstack([old, rows], format="csr", dtype=np.int32)),
                doc_len=np.concatenate(
                    [corpus.doc_len, np.array([len(tokens) for tokens in documents], np.int32)]
                ),
                chunk_ids=np.concatenate([corpus.chunk_ids, new_ids]),
                collection_ids=np.concatenate([corpus.collection_ids, new_collections]),
                live=np.concatenate(
                    [corpus.live & ~np.isin(corpus.chunk_ids, new_ids), np.ones(len(chunks), bool)]
                ),
                n_terms=n_terms,
            )
        )

    def delete(self, chunk_ids: Iterable[int]) -> None:
        """Remove chunks; ids that are not indexed are ignored."""
        doomed = np.fromiter(chunk_ids, dtype=np.int64)
        corpus = self._corpus
        hit = corpus.live & np.isin(corpus.chunk_ids, doomed)
        if hit.any():
            self._publish(replace(corpus, live=corpus.live & ~hit, weights=_LazyWeights()))

    def search(
        self, query: str, k: int, collections: Collection[int] | None = None
    ) -> list[SearchHit]:
        """The ``k`` best chunks containing at least one query term, best first (ties by
        chunk id); only chunks of ``collections`` when given."""
        return self.search_tokens(self._tokenizer(query), k, collections)

    def search_tokens(
        self, tokens: Sequence[str], k: int, collections: Collection[int] | None = None
    ) -> list[SearchHit]:
        """``search`` for an already tokenized query; a repeated token counts each time, as
        in BM25Okapi."""
        if k <= 0:
            return []
        corpus = self._corpus
        term_counts: dict[int, int] = {}
        for token in tokens:
            term = corpus.vocabulary.get(token)
            if term is not None and term < corpus.n_terms:
                term_counts[term] = term_counts.get(term, 0) + 1
        if not term_counts:
            return []
        weights = corpus.weights.get(lambda: self._compute_weights(corpus))
        scores = np.zeros(corpus.chunk_ids.size, dtype=np.float64)
        matched = np.zeros(corpus.chunk_ids.size, dtype=bool)
        for term, count in term_counts.items():
            start, end = weights.indptr[term], weights.indptr[term + 1]
            rows = weights.indices[start:end].astype(np.intp)
            scores[rows] += count * weights.data[start:end]
            matched[rows] = True
        if collections is not None:
            matched &= np.isin(corpus.collection_ids, np.fromiter(collections, dtype=np.int64))
        return _top_hits(np.where(matched, scores, -np.inf), corpus.chunk_ids, k)

    def save(self, path: Path) -> None:
        """Write the index to directory ``path`` atomically, dropping deleted chunks first."""
        corpus = _compacted(self._corpus)
        self._corpus = corpus
        weights = corpus.weights.get(lambda: self._compute_weights(corpus))
        with atomic_directory(path) as staging:
            vocabulary = "\n".join(corpus.vocabulary).encode("utf-8")
            save_array(staging, "vocabulary", np.frombuffer(vocabulary, dtype=np.uint8))
            save_array(staging, "counts_indptr", corpus.counts.indptr.astype(np.int64))
            save_array(staging, "counts_indices", corpus.counts.indices.astype(np.int32))
            save_array(staging, "counts_data", corpus.counts.data.astype(np.int32))
            save_array(staging, "weights_indptr", weights.indptr)
            save_array(staging, "weights_indices", weights.indices)
            save_array(staging, "weights_data", weights.data)
            save_array(staging, "doc_len", corpus.doc_len)
            save_array(staging, "chunk_ids", corpus.chunk_ids)
            save_array(staging, "collection_ids", corpus.collection_ids)
            write_manifest(
                staging,
                {
                    "kind": KIND,
                    "format_version": FORMAT_VERSION,
                    "tokenizer": self._tokenizer.settings.to_manifest(),
                    "k1": self._k1,
                    "b": self._b,
                    "epsilon": self._epsilon,
                    "counts": {
                        "chunks": int(corpus.chunk_ids.size),
                        "terms": corpus.n_terms,
                        "postings": int(corpus.counts.data.size),
                        "tokens": int(corpus.doc_len.sum()),
                    },
                },
            )

    @classmethod
    def load(cls, path: Path) -> Self:
        """Open an index saved by ``save``, its arrays memory-mapped read-only."""
        manifest = read_manifest(path, kind=KIND, format_version=FORMAT_VERSION)
        tokenizer = Tokenizer(TokenizerSettings.from_manifest(manifest["tokenizer"]))
        index = cls(tokenizer, k1=manifest["k1"], b=manifest["b"], epsilon=manifest["epsilon"])
        words = bytes(load_array(path, "vocabulary", mmap=False)).decode("utf-8")
        terms = words.split("\n") if words else []
        chunk_ids = load_array(path, "chunk_ids")
        counts = _Sparse(
            indptr=load_array(path, "counts_indptr"),
            indices=load_array(path, "counts_indices"),
            data=load_array(path, "counts_data"),
        )
        if counts.indptr.size != chunk_ids.size + 1:
            raise IndexFormatError(f"{path} is inconsistent: array sizes differ; rebuild it")
        index._corpus = _Corpus(
            vocabulary={term: number for number, term in enumerate(terms)},
            counts=counts,
            doc_len=load_array(path, "doc_len"),
            chunk_ids=chunk_ids,
            collection_ids=load_array(path, "collection_ids"),
            live=np.ones(chunk_ids.size, dtype=bool),
            n_terms=len(terms),
            weights=_LazyWeights(
                _Sparse(
                    indptr=load_array(path, "weights_indptr"),
                    indices=load_array(path, "weights_indices"),
                    data=load_array(path, "weights_data"),
                )
            ),
        )
        return index

    def _publish(self, corpus: _Corpus) -> None:
        if corpus.live.size - corpus.n_live > COMPACT_FRACTION * corpus.live.size:
            corpus = _compacted(corpus)
        self._corpus = corpus

    def _compute_weights(self, corpus: _Corpus) -> _Sparse:
        """BM25Okapi's weight of every (term, live chunk) pair, from the term counts."""
        counts = corpus.counts
        n_rows = counts.indptr.size - 1
        row_of_entry = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(counts.indptr))
        live_entry = corpus.live[row_of_entry]
        rows = row_of_entry[live_entry]
        terms = counts.indices[live_entry]
        tf = counts.data[live_entry].astype(np.float64)
        n_live = corpus.n_live
        doc_freq = np.bincount(terms, minlength=corpus.n_terms)
        present = doc_freq > 0
        if not present.any():
            return _Sparse(
                indptr=np.zeros(corpus.n_terms + 1, dtype=np.int64),
                indices=np.zeros(0, dtype=np.int32),
                data=np.zeros(0, dtype=np.float32),
            )
        idf = np.log(n_live - doc_freq + 0.5) - np.log(doc_freq + 0.5)
        floor = self._epsilon * float(idf[present].mean())
        idf = np.where(idf < 0, floor, idf)
        avgdl = float(corpus.doc_len[corpus.live].sum()) / n_live
        norm = self._k1 * (1 - self._b + self._b * corpus.doc_len.astype(np.float64) / avgdl)
        weight = idf[terms] * tf * (self._k1 + 1) / (tf + norm[rows])
        by_term = sparse.csr_matrix(
            (weight.astype(np.float32), (terms, rows)), shape=(corpus.n_terms, n_rows)
        )
        return _Sparse(
            indptr=by_term.indptr.astype(np.int64),
            indices=by_term.indices.astype(np.int32),
            data=by_term.data,
        )


def _count_rows(documents: list[list[str]], vocabulary: dict[str, int]) -> sparse.csr_matrix:
    """Term counts of tokenized documents, one row each, adding new terms to ``vocabulary``."""
    term_ids = np.fromiter(
        (vocabulary.setdefault(token, len(vocabulary)) for tokens in documents for token in tokens),
        dtype=np.int64,
    )
    lengths = np.fromiter((len(tokens) for tokens in documents), dtype=np.int64)
    rows = np.repeat(np.arange(len(documents), dtype=np.int64), lengths)
    return sparse.csr_matrix(
        (np.ones(term_ids.size, dtype=np.int32), (rows, term_ids)),
        shape=(len(documents), len(vocabulary)),
    )


def _compacted(corpus: _Corpus) -> _Corpus:
    """``corpus`` without deleted rows and without terms no live row uses."""
    if (
        corpus.live.all()
        and corpus.n_terms == len(corpus.vocabulary)
        and np.bincount(corpus.counts.indices, minlength=corpus.n_terms).all()
    ):
        return corpus
    live_counts = corpus.counts.matrix(corpus.n_terms)[corpus.live]
    used = np.bincount(live_counts.indices, minlength=corpus.n_terms) > 0
    terms = list(corpus.vocabulary)[: corpus.n_terms]
    kept = [term for term, keep in zip(terms, used.tolist(), strict=True) if keep]
    return _Corpus(
        vocabulary={term: number for number, term in enumerate(kept)},
        counts=_Sparse.of(live_counts[:, used].tocsr()),
        doc_len=corpus.doc_len[corpus.live],
        chunk_ids=corpus.chunk_ids[corpus.live],
        collection_ids=corpus.collection_ids[corpus.live],
        live=np.ones(live_counts.shape[0], dtype=bool),
        n_terms=len(kept),
    )


def _top_hits(scores: _Array, chunk_ids: _Array, k: int) -> list[SearchHit]:
    """The ``k`` best rows with a finite score, by score then by chunk id.

    Sorting every matching row would dominate a query, so a cutoff first keeps only rows that
    can be in the top ``k``: split the scores into blocks; the ``k``-th largest block maximum
    is reached by ``k`` rows, so no row below it can be among the best ``k``.
    """
    blocks = max(64, 8 * k)
    width = scores.size // blocks
    if width >= 4:
        maxima = scores[: blocks * width].reshape(blocks, width).max(axis=1)
        cutoff = np.partition(maxima, blocks - k)[blocks - k]
        rows = (
            np.flatnonzero(scores >= cutoff)
            if cutoff > -np.inf
            else np.flatnonzero(scores > -np.inf)
        )
    else:
        rows = np.flatnonzero(scores > -np.inf)
    if rows.size > k:
        kept = scores[rows]
        rows = rows[kept >= np.partition(kept, rows.size - k)[rows.size - k]]
    best = rows[np.lexsort((chunk_ids[rows], -scores[rows]))[:k]]
    return [
        SearchHit(chunk_id=int(chunk), score=float(score))
        for chunk, score in zip(chunk_ids[best], scores[best], strict=True)
    ]
