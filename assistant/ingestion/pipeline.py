"""The ingestion pipeline: file -> parser -> chunks -> storage, then indexes.

Each file is committed to the database in one transaction (document row and all its chunks),
so a crash never leaves a half-written document. It is stored as ``indexing``: indexes are
derived data updated after the commit, and a document is listed as ``ready`` only once the
index holding its chunks is saved (the index is saved every ``SAVE_EVERY_S`` or so during a
run, and at its end), so ready means searchable by every process. If the process dies in
between, ``IndexSync.reconcile`` brings the indexes back in line and lists the document ready;
a document whose indexing fails is listed as failed, its chunks kept for that repair.
Re-running an interrupted batch resumes it: files already stored are recognised by their
content hash and skipped, and one still being indexed is indexed. Each file's progress (pages
read, chunks embedded, time left) goes to an optional ``ProgressCallback``. After a PDF's
commit, what the source viewer shows of its pages (its original, or its pages drawn) is kept
beside the database (``PageKeeper``); a failure there leaves the document without page images,
never without its text. ``run_prepared`` applies the same storing rules to files parsed and
chunked elsewhere (on a cluster, for instance). A full disk or a lost database stops the batch
with ``StorageUnavailableError`` (after a few retries while the database may be restarting)
instead of failing every further file the same way.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from assistant.digests import file_sha256
from assistant.index_text import to_indexed
from assistant.ingestion.progress import FileTracker, ProgressCallback
from assistant.storage import repository as repo
from assistant.storage.db import transaction
from assistant.storage.faults import database_unreachable, storage_fault, storage_faults
from assistant.storage.models import STORED_STATUSES, Document, DocumentStatus, RunStatus
from indexes.protocols import EmbedProgress, IndexedChunk
from ingest.errors import IngestError
from ingest.types import ChunkDraft, PageProgress, ParsedDocument

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class Parse(Protocol):
    """Reads one file and returns its media type and parsed content, or raises IngestError;
    ``on_page`` is told how many pages are read as it goes."""

    def __call__(
        self, path: Path, on_page: PageProgress | None = None
    ) -> tuple[str, ParsedDocument]: ...


Chunker = Callable[[ParsedDocument], list[ChunkDraft]]

RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Waits before storing a file again while the database is unreachable: a server restart
usually takes a few seconds."""

SAVE_EVERY_S = 30.0
"""During a run the index is saved, and the documents it holds listed as ready, once this long
has passed since its last save, or ``SAVE_COST_FACTOR`` times what that save took when longer:
a large file is searchable soon after it is embedded, and small files do not pay for a save
each."""
SAVE_COST_FACTOR = 10

INDEXING_FAILED = "indexing"
"""The error code of a file stored but not indexed."""


@dataclass(frozen=True)
class PreparedFile:
    """A file read, parsed and chunked, ready to be stored; ``content_hash`` and
    ``size_bytes`` describe the bytes that were parsed."""

    path: Path
    content_hash: str
    size_bytes: int
    media_type: str
    page_count: int
    title: str | None
    drafts: tuple[ChunkDraft, ...]
    page_labels: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class FailedFile:
    """A file that could not be prepared, with a message fit to show the user."""

    path: Path
    error: str
    error_code: str


Prepare = Callable[[Sequence[Path]], Iterable[PreparedFile | FailedFile]]
"""Prepares files, possibly elsewhere and in parallel, yielding one result per path."""


class IndexWriter(Protocol):
    """Where chunk changes go once the database has committed them."""

    def add(
        self, chunks: Sequence[IndexedChunk], on_embedded: EmbedProgress | None = None
    ) -> None: ...

    def delete(self, chunk_ids: Iterable[int]) -> None: ...

    def commit(self) -> None: ...


class PageKeeper(Protocol):
    """Where what the source viewer shows of a stored file's pages is kept, once the file's
    document has committed; it never fails the file."""

    def store(self, document_id: int, collection: str, source: Path, media_type: str) -> None: ...


class Outcome(StrEnum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class FileResult:
    path: Path
    outcome: Outcome
    document_id: int | None = None
    chunks: int = 0
    error: str | None = None
    error_code: str | None = None


@dataclass
class RunReport:
    run_id: int
    collection: str
    results: list[FileResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


def prepare_file(
    path: Path,
    *,
    parse: Parse,
    chunker: Chunker,
    content_hash: str | None = None,
    on_page: PageProgress | None = None,
) -> PreparedFile:
    """Hash (unless ``content_hash`` is known), parse and chunk one file; raises
    ``IngestError`` or ``OSError`` for a file that cannot be ingested."""
    digest = content_hash or file_sha256(path)
    media_type, parsed = parse(path, on_page=on_page)
    drafts = chunker(parsed)
    if not drafts:
        raise IngestError(f"{path.name}: no text to index after chunking")
    return PreparedFile(
        path=path,
        content_hash=digest,
        size_bytes=path.stat().st_size,
        media_type=media_type,
        page_count=len(parsed.pages),
        title=parsed.title,
        drafts=tuple(drafts),
        page_labels=tuple(page.label for page in parsed.pages),
    )


def failure_of(path: Path, exc: Exception) -> FailedFile:
    """What to tell the user about ``exc`` raised while ingesting ``path``."""
    if isinstance(exc, IngestError):
        return FailedFile(path, str(exc), exc.code)
    if isinstance(exc, OSError):
        return FailedFile(path, f"cannot read file: {exc}", "io")
    log.error("unexpected error while ingesting %s", path.name, exc_info=exc)
    message = f"internal error while processing this file ({type(exc).__name__})"
    return FailedFile(path, message, "internal")


def run_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_active_runs: set[int] = set()
"""Ids of the runs this process is working on now; a run of this process not among them was
left unfinished (its end could not be recorded, the database being down)."""
_active_lock = threading.Lock()


def _abandoned(run_id: int, owner: str) -> bool:
    if owner == run_owner():
        with _active_lock:
            return run_id not in _active_runs
    return not _owner_alive(owner)


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's run: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class _Stored:
    """A file's document committed as ``indexing``, its chunks still to index."""

    path: Path
    document_id: int
    version: int
    removed: list[int]
    added: list[IndexedChunk]
    outcome: Outcome


class _Run:
    """One run's files on their way to ready: the trackers of their progress, and the
    documents indexed but not yet saved, which each save of the index lists as ready."""

    def __init__(
        self,
        *,
        collection: str,
        collection_id: int,
        index: IndexWriter,
        sessions: sessionmaker[Session],
        on_progress: ProgressCallback | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.collection = collection
        self.collection_id = collection_id
        self._index = index
        self._sessions = sessions
        self._on_progress = on_progress
        self._clock = clock
        self._waiting: dict[int, tuple[int, FileTracker | None]] = {}
        self._saved_at = clock()
        self._save_cost = 0.0

    def tracker(self, path: Path) -> FileTracker | None:
        return None if self._on_progress is None else FileTracker(path, self._on_progress)

    def waiting(self, document_id: int) -> bool:
        return document_id in self._waiting

    def indexed(self, document_id: int, version: int, tracker: FileTracker | None) -> None:
        self._waiting[document_id] = (version, tracker)
        if tracker is not None:
            tracker.indexed()

    def save_if_due(self) -> None:
        pause = max(SAVE_EVERY_S, SAVE_COST_FACTOR * self._save_cost)
        if self._waiting and self._clock() - self._saved_at >= pause:
            self.save()

    def save(self) -> None:
        """Save the index, then list the documents it now holds as ready."""
        started = self._clock()
        self._index.commit()
        self._saved_at = self._clock()
        self._save_cost = self._saved_at - started
        waiting, self._waiting = self._waiting, {}
        if not waiting:
            return
        with transaction(self._sessions) as session:
            repo.mark_ready(
                session=session,
                versions=[(document_id, version) for document_id, (version, _) in waiting.items()],
            )
        for _, tracker in waiting.values():
            if tracker is not None:
                tracker.ready()


class IngestionPipeline:
    """Ingests batches of files into one collection; one bad file fails alone."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        parse: Parse,
        chunker: Chunker,
        index: IndexWriter,
        pages: PageKeeper | None = None,
        retry_delays_s: Sequence[float] | None = None,
    ) -> None:
        self._sessions = sessions
        self._parse = parse
        self._chunker = chunker
        self._index = index
        self._pages = pages
        self._retry_delays_s = tuple(RETRY_DELAYS_S if retry_delays_s is None else retry_delays_s)

    def mark_interrupted_runs(self) -> int:
        """Runs left 'running' by a process that no longer exists, or abandoned by this one,
        are marked interrupted."""
        with transaction(self._sessions) as session:
            stale = [r for r in repo.running_runs(session=session) if _abandoned(r.id, r.owner)]
            for run in stale:
                run.status = RunStatus.INTERRUPTED
            return len(stale)

    def run(
        self,
        paths: Sequence[Path],
        *,
        collection: str,
        on_file: Callable[[FileResult], None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunReport:
        """Ingest ``paths`` into ``collection``; raises ``StorageUnavailableError`` when the
        disk is full or the database is gone, after reporting the files done before.
        ``on_file`` is told each file's result once its chunks are indexed, ``on_progress``
        each step of a file's way (and when it is listed as ready, at a save of the index)."""
        with storage_faults():
            return self._run(
                len(paths),
                collection,
                on_file,
                on_progress,
                lambda run: (self._ingest_one(path, run) for path in paths),
            )

    def run_prepared(
        self,
        paths: Sequence[Path],
        prepare: Prepare,
        *,
        collection: str,
        on_file: Callable[[FileResult], None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunReport:
        """``run`` with parsing and chunking done by ``prepare``, which is given only the
        files not stored yet; storing follows the same rules, one document at a time."""
        with storage_faults():
            return self._run(
                len(paths),
                collection,
                on_file,
                on_progress,
                lambda run: self._prepared_results(paths, prepare, run),
            )

    def _run(
        self,
        files_total: int,
        collection: str,
        on_file: Callable[[FileResult], None] | None,
        on_progress: ProgressCallback | None,
        results: Callable[[_Run], Iterable[FileResult]],
    ) -> RunReport:
        self.mark_interrupted_runs()
        with transaction(self._sessions) as session:
            coll = repo.get_or_create_collection(session=session, name=collection)
            run = repo.start_run(
                session=session, collection_id=coll.id, files_total=files_total, owner=run_owner()
            )
            collection_id, run_id = coll.id, run.id
            with _active_lock:
                _active_runs.add(run_id)
        state = _Run(
            collection=collection,
            collection_id=collection_id,
            index=self._index,
            sessions=self._sessions,
            on_progress=on_progress,
        )
        try:
            return self._collect(run_id, collection, state, files_total, on_file, results)
        finally:
            with _active_lock:
                _active_runs.discard(run_id)

    def _collect(
        self,
        run_id: int,
        collection: str,
        state: _Run,
        files_total: int,
        on_file: Callable[[FileResult], None] | None,
        results: Callable[[_Run], Iterable[FileResult]],
    ) -> RunReport:
        report = RunReport(run_id=run_id, collection=collection)
        try:
            for result in results(state):
                report.results.append(result)
                if on_file is not None:
                    on_file(result)
                state.save_if_due()
        except BaseException:
            try:
                self._close_run(report, state, files_total)
            except Exception:  # the first failure is the one to report
                log.warning(
                    "ingestion run %d could not be closed; the next start finishes it",
                    run_id,
                    exc_info=True,
                )
            raise
        self._close_run(report, state, files_total)
        return report

    def _close_run(self, report: RunReport, state: _Run, files_total: int) -> None:
        """Save the indexes (listing what they hold as ready), then record how the run
        ended."""
        state.save()
        finished = len(report.results) == files_total
        with transaction(self._sessions) as session:
            repo.finish_run(
                session=session,
                run_id=report.run_id,
                status=RunStatus.COMPLETED if finished else RunStatus.INTERRUPTED,
                counts={
                    "files_added": report.count(Outcome.ADDED),
                    "files_replaced": report.count(Outcome.REPLACED),
                    "files_skipped": report.count(Outcome.UNCHANGED),
                    "files_failed": report.count(Outcome.FAILED),
                },
            )

    def _retrying(self, attempt: Callable[[], _T]) -> _T:
        """``attempt()``, tried again while the database is unreachable. A storing attempt must
        first look for what an earlier one may have committed, so a retry never stores twice."""
        for delay in self._retry_delays_s:
            try:
                return attempt()
            except Exception as exc:
                if not database_unreachable(exc):
                    raise
                log.warning("the database is unreachable; retrying in %.1f s: %s", delay, exc)
                time.sleep(delay)
        return attempt()

    def _ingest_one(self, path: Path, run: _Run) -> FileResult:
        collection_id = run.collection_id
        try:
            content_hash = file_sha256(path)
            skipped = self._retrying(lambda: self._unchanged(path, collection_id, content_hash))
            if skipped is not None:
                return self._resumed(skipped, run)
            tracker = run.tracker(path)
            if tracker is not None:
                tracker.parsing()
            prepared = prepare_file(
                path,
                parse=self._parse,
                chunker=self._chunker,
                content_hash=content_hash,
                on_page=None if tracker is None else tracker.pages_read,
            )
            return self._store_and_index(prepared, run, tracker)
        except Exception as exc:  # one file's unexpected failure must not stop the batch
            if storage_fault(exc) is not None:
                raise
            return self._record_failure(failure_of(path, exc), collection_id)

    def _prepared_results(
        self, paths: Sequence[Path], prepare: Prepare, run: _Run
    ) -> Iterator[FileResult]:
        """Files stored already are skipped before ``prepare`` sees them; the others are
        stored as their results arrive."""
        pending: list[Path] = []
        for path in paths:
            try:
                skipped = self._unchanged(path, run.collection_id, file_sha256(path))
            except OSError:
                skipped = None  # preparing it reports why it cannot be read
            if skipped is None:
                pending.append(path)
            else:
                yield self._resumed(skipped, run)
        for item in prepare(pending):
            yield self._store_prepared(item, run)

    def _store_prepared(self, item: PreparedFile | FailedFile, run: _Run) -> FileResult:
        if isinstance(item, FailedFile):
            return self._record_failure(item, run.collection_id)
        try:
            return self._store_and_index(item, run, run.tracker(item.path))
        except Exception as exc:  # one file's unexpected failure must not stop the batch
            if storage_fault(exc) is not None:
                raise
            return self._record_failure(failure_of(item.path, exc), run.collection_id)

    def _store_and_index(
        self, item: PreparedFile, run: _Run, tracker: FileTracker | None
    ) -> FileResult:
        if tracker is not None:
            tracker.storing(len(item.drafts))
        stored = self._retrying(lambda: self._store(item, run.collection_id))
        if isinstance(stored, FileResult):
            return self._resumed(stored, run)
        if self._pages is not None:
            self._pages.store(stored.document_id, run.collection, item.path, item.media_type)
        return self._index_stored(stored, run, tracker)

    def _store(self, item: PreparedFile, collection_id: int) -> FileResult | _Stored:
        return self._unchanged(item.path, collection_id, item.content_hash) or self._commit(
            item, collection_id
        )

    def _unchanged(self, path: Path, collection_id: int, content_hash: str) -> FileResult | None:
        """The stored document ``path`` duplicates, if any: the same content stored under its
        name, or under another name when none has this one."""
        with self._sessions() as session:
            existing = repo.find_document(
                session=session, collection_id=collection_id, file_name=path.name
            )
            twin = repo.find_stored_by_hash(
                session=session, collection_id=collection_id, content_hash=content_hash
            )
            if twin is not None and (existing is None or existing.id == twin.id):
                return FileResult(path, Outcome.UNCHANGED, twin.id, chunks=0)
        return None

    def _resumed(self, unchanged: FileResult, run: _Run) -> FileResult:
        """``unchanged``, its document indexed first when it was left being indexed (by a
        process that stopped, or a storing attempt retried) and this run has not indexed it."""
        document_id = unchanged.document_id
        if document_id is None or run.waiting(document_id):
            return unchanged
        with self._sessions() as session:
            doc = session.get(Document, document_id)
            if doc is None or doc.status != DocumentStatus.INDEXING:
                return unchanged
            rows = repo.chunks_of(session=session, document_id=document_id)
            stored = _Stored(
                unchanged.path,
                document_id,
                doc.version,
                removed=[],
                added=to_indexed(rows, {document_id: doc.file_name}),
                outcome=Outcome.UNCHANGED,
            )
        tracker = run.tracker(unchanged.path)
        if tracker is not None:
            tracker.storing(len(stored.added))
        return self._index_stored(stored, run, tracker)

    def _commit(self, item: PreparedFile, collection_id: int) -> _Stored:
        """Store one prepared file in one transaction, as a document being indexed."""
        path = item.path
        with transaction(self._sessions) as session:
            doc = repo.find_document(
                session=session, collection_id=collection_id, file_name=path.name
            )
            replacing = doc is not None and doc.status in STORED_STATUSES
            if doc is None:
                doc = Document(collection_id=collection_id, file_name=path.name, version=0)
                session.add(doc)
            doc.content_hash = item.content_hash
            doc.media_type = item.media_type
            doc.size_bytes = item.size_bytes
            doc.version = (doc.version or 0) + 1
            doc.status = DocumentStatus.INDEXING
            doc.error = None
            doc.page_count = item.page_count
            doc.page_labels = repo.encode_labels(item.page_labels)
            doc.title = item.title
            session.flush()
            removed, rows = repo.replace_chunks(session=session, document=doc, drafts=item.drafts)
            return _Stored(
                path,
                doc.id,
                doc.version,
                removed,
                to_indexed(rows, {doc.id: doc.file_name}),
                Outcome.REPLACED if replacing else Outcome.ADDED,
            )

    def _index_stored(self, stored: _Stored, run: _Run, tracker: FileTracker | None) -> FileResult:
        """Put a stored document's chunks in the index; it is listed as ready at the run's
        next save of the index, or as failed when its indexing fails."""
        if tracker is not None:
            tracker.embedding()
        try:
            self._index.delete(stored.removed)
            self._index.add(stored.added, None if tracker is None else tracker.embedded)
        except Exception as exc:
            if storage_fault(exc) is not None:
                raise
            log.error("indexing %s failed", stored.path.name, exc_info=exc)
            return self._indexing_failed(stored, exc)
        run.indexed(stored.document_id, stored.version, tracker)
        return FileResult(stored.path, stored.outcome, stored.document_id, len(stored.added))

    def _indexing_failed(self, stored: _Stored, exc: Exception) -> FileResult:
        message = (
            f"indexing failed ({type(exc).__name__}: {exc}); its passages are stored and are "
            "indexed by `assistant check --repair` or a re-index"
        )
        with transaction(self._sessions) as session:
            doc = session.get(Document, stored.document_id)
            if doc is not None and doc.version == stored.version:
                doc.status = DocumentStatus.FAILED
                doc.error = message
        return FileResult(
            stored.path,
            Outcome.FAILED,
            stored.document_id,
            error=message,
            error_code=INDEXING_FAILED,
        )

    def _record_failure(self, failure: FailedFile, collection_id: int) -> FileResult:
        """A new file that fails is listed with its error; a stored version stays as it was."""
        path, message = failure.path, failure.error
        with transaction(self._sessions) as session:
            doc = repo.find_document(
                session=session, collection_id=collection_id, file_name=path.name
            )
            if doc is None:
                doc = Document(
                    collection_id=collection_id,
                    file_name=path.name,
                    content_hash="",
                    media_type="",
                    size_bytes=path.stat().st_size if path.exists() else 0,
                    version=0,
                    status=DocumentStatus.FAILED,
                )
                session.add(doc)
            doc.error = (
                f"the newer upload failed and version {doc.version} is kept: {message}"
                if doc.status in STORED_STATUSES
                else message
            )
            session.flush()
            document_id = doc.id
        return FileResult(
            path, Outcome.FAILED, document_id, error=message, error_code=failure.error_code
        )
