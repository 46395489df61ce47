"""Keeps the on-disk hybrid index in step with storage, across processes and crashes."""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from assistant.collection_settings import index_fusion
from assistant.index_text import INDEX_TEXT_VERSION, to_indexed
from assistant.settings import IndexSettings
from assistant.storage import repository as repo
from assistant.storage.db import transaction
from assistant.storage.faults import StorageUnavailableError, disk_full
from indexes.embedder import Embedder, SentenceTransformerEmbedder
from indexes.hybrid import (
    FusionConfig,
    HybridConfig,
    HybridIndex,
    SearchMode,
    empty_hybrid_index,
    open_hybrid_index,
)
from indexes.protocols import EmbedProgress, IndexedChunk, SearchHit

log = logging.getLogger(__name__)

OUTDATED_ADVICE = (
    "the indexes were built by an earlier version, without document names in the passages: "
    "run `assistant check --rebuild` to index every passage again"
)
"""What to tell an administrator whose indexes hold passage texts of an earlier kind."""

REBUILD_BATCH = 512
"""Chunks read from storage and embedded at a time when the index is filled from storage."""


def hybrid_config(settings: IndexSettings) -> HybridConfig:
    """How the ``index`` settings group says a new index is built and searched by default."""
    return HybridConfig(
        fusion=index_fusion(settings),
        stemming=settings.stemming,
        bm25_k1=settings.bm25_k1,
        bm25_b=settings.bm25_b,
        ann_threshold=settings.ann_threshold,
    )


def second_stage_embedder(settings: IndexSettings) -> Embedder | None:
    """The second stage's model as ``settings`` configure it (not loaded yet), or None."""
    if settings.second_stage_model is None:
        return None
    return SentenceTransformerEmbedder(
        Path(settings.second_stage_model), batch_size=settings.embedding_batch_size
    )


@dataclass(frozen=True)
class DriftReport:
    """Chunks stored but not indexed, and index entries whose chunk no longer exists."""

    missing: int
    orphaned: int
    repaired: bool
    outdated: bool = False
    """The index holds texts of an earlier kind (``INDEX_TEXT_VERSION``): searches work, but
    only a rebuild gives them the current texts."""

    @property
    def consistent(self) -> bool:
        return self.missing == 0 and self.orphaned == 0


class IndexSync:
    """The hybrid index of one installation, loaded lazily and saved atomically.

    Writes are serialised within the process by a lock and across processes by a lock file,
    and a reader reloads the index when another process has saved a newer one.
    """

    def __init__(
        self,
        *,
        index_dir: Path,
        settings: IndexSettings,
        embedder: Embedder,
        second_embedder: Embedder | None = None,
    ) -> None:
        self._dir = index_dir
        self._config = hybrid_config(settings)
        self._embedder = embedder
        self._second_embedder = second_embedder
        self._index: HybridIndex | None = None
        self._loaded_stamp: float | None = None
        self._dirty = False
        self._lock = threading.RLock()

    @property
    def second_embedder(self) -> Embedder | None:
        """The second stage's model, shared with writers that open the index themselves."""
        return self._second_embedder

    @property
    def _stamp_file(self) -> Path:
        return self._dir.parent / f"{self._dir.name}.saved"

    def _stamp(self) -> float | None:
        try:
            return self._stamp_file.stat().st_mtime
        except FileNotFoundError:
            return None

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        self._dir.parent.mkdir(parents=True, exist_ok=True)
        with (self._dir.parent / f"{self._dir.name}.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _current(self) -> HybridIndex:
        with self._lock:
            stamp = self._stamp()
            stale = not self._dirty and stamp != self._loaded_stamp
            if self._index is None or stale:
                index = open_hybrid_index(
                    self._dir,
                    self._config,
                    self._embedder,
                    text_version=INDEX_TEXT_VERSION,
                    second_embedder=self._second_embedder,
                )
                if len(index) == 0 and index.text_version != INDEX_TEXT_VERSION:
                    index = self._empty()  # nothing to rebuild: start on the current texts
                self._index = index
                self._loaded_stamp = stamp
            return self._index

    def _empty(self) -> HybridIndex:
        return empty_hybrid_index(
            self._config,
            self._embedder,
            text_version=INDEX_TEXT_VERSION,
            second_embedder=self._second_embedder,
        )

    def warm_up(self) -> None:
        """Load the embedding models and the index now rather than on first use."""
        self._embedder.warm_up()
        if self._second_embedder is not None:
            self._second_embedder.warm_up()
        self._current()

    def add(self, chunks: Sequence[IndexedChunk], on_embedded: EmbedProgress | None = None) -> None:
        if chunks:
            with self._lock:
                self._current().add(chunks, on_embedded)
                self._dirty = True

    def delete(self, chunk_ids: Iterable[int]) -> None:
        ids = list(chunk_ids)
        if ids:
            with self._lock:
                self._current().delete(ids)
                self._dirty = True

    def commit(self) -> None:
        with self._lock:
            if not self._dirty or self._index is None:
                return
            try:
                with self._file_lock():
                    self._index.save(self._dir)
                    self._stamp_file.touch()
            except OSError as exc:
                if not disk_full(exc):
                    raise
                raise StorageUnavailableError(
                    "the disk holding the index is full, so the index was not saved; the "
                    "documents are stored and are indexed again at the next start (or by "
                    "`assistant check --repair`) once there is space"
                ) from exc
            self._loaded_stamp = self._stamp()
            self._dirty = False

    def search(
        self,
        query: str,
        *,
        k: int,
        collections: Collection[int] | None,
        mode: SearchMode,
        fusion: FusionConfig | None = None,
    ) -> list[SearchHit]:
        return self._current().search(query, k, collections, mode=mode, fusion=fusion)

    def reconcile(self, sessions: sessionmaker[Session], *, repair: bool) -> DriftReport:
        """Compare index ids with stored chunk ids; with ``repair``, make them agree, and list
        every document whose chunks the saved index now holds as ready (one left being
        indexed by a process that stopped, or whose indexing failed)."""
        with self._lock:
            with sessions() as session:
                stored = repo.all_chunk_ids(session=session)
            current = self._current()
            indexed = current.chunk_ids()
            outdated = bool(indexed) and current.text_version != INDEX_TEXT_VERSION
            missing = sorted(stored - indexed)
            orphaned = sorted(current.held_ids() - stored)
            if repair:
                self.delete(orphaned)
                for batch in _stored_chunks(sessions, missing):
                    current.fill(batch)
                    self._dirty = True
                self.commit()
                self._mark_ready(sessions, stored)
            return DriftReport(len(missing), len(orphaned), repaired=repair, outdated=outdated)

    def rebuild(self, sessions: sessionmaker[Session]) -> int:
        """Replace the index by a new one holding every stored chunk, embedded again; returns
        how many. Needed when what an index keeps from its build no longer matches the
        installation: passages indexed before document names were part of their text, BM25
        parameters or tokenizer settings changed since. Searches and writes in this process
        wait until the new index is saved."""
        with self._lock:
            fresh = self._empty()
            with sessions() as session:
                stored = sorted(repo.all_chunk_ids(session=session))
            for batch in _stored_chunks(sessions, stored):
                fresh.add(batch)
            self._index, self._dirty = fresh, True
            self.commit()
            self._mark_ready(sessions, set(stored))
            return len(stored)

    def _mark_ready(self, sessions: sessionmaker[Session], saved: set[int]) -> None:
        """List the documents whose chunks are all among ``saved`` (in the saved index) as
        ready."""
        with transaction(sessions) as session:
            ready = repo.mark_indexed_ready(session=session, indexed=saved)
        if ready:
            log.info("%d document(s) indexed and listed as ready", len(ready))


def _stored_chunks(
    sessions: sessionmaker[Session], chunk_ids: Sequence[int]
) -> Iterator[list[IndexedChunk]]:
    """The stored chunks ``chunk_ids`` as the indexes take them, a batch at a time."""
    for start in range(0, len(chunk_ids), REBUILD_BATCH):
        with sessions() as session:
            rows = repo.chunks_by_ids(
                session=session, chunk_ids=chunk_ids[start : start + REBUILD_BATCH]
            )
            names = repo.file_names(
                session=session, document_ids={r.document_id for r in rows.values()}
            )
            batch = to_indexed(rows.values(), names)
        yield batch
