"""The ingestion pipeline: file -> parser -> chunks -> storage, then indexes.

Each file is committed to the database in one transaction (document row and all its chunks),
so a crash never leaves a half-written document. Indexes are derived data updated after the
commit; if the process dies in between, ``IndexSync.reconcile`` brings them back in line.
Re-running an interrupted batch resumes it: files already stored are recognised by their
content hash and skipped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from assistant.storage import repository as repo
from assistant.storage.db import transaction
from assistant.storage.models import Chunk, Document, DocumentStatus, RunStatus
from indexes.protocols import IndexedChunk
from ingest.errors import IngestError
from ingest.types import ChunkDraft, ParsedDocument

log = logging.getLogger(__name__)

Parse = Callable[[Path], tuple[str, ParsedDocument]]
"""Reads one file and returns its media type and parsed content, or raises IngestError."""

Chunker = Callable[[ParsedDocument], list[ChunkDraft]]


class IndexWriter(Protocol):
    """Where chunk changes go once the database has committed them."""

    def add(self, chunks: Sequence[IndexedChunk]) -> None: ...

    def delete(self, chunk_ids: Iterable[int]) -> None: ...

    def commit(self) -> None: ...


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


def index_text(chunk: Chunk) -> str:
    """The text an index sees: the heading path gives a passage its context."""
    return f"{chunk.heading_path}\n{chunk.text}" if chunk.heading_path else chunk.text


def to_indexed(chunks: Iterable[Chunk]) -> list[IndexedChunk]:
    return [IndexedChunk(c.id, c.collection_id, index_text(c)) for c in chunks]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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


class IngestionPipeline:
    """Ingests batches of files into one collection; one bad file fails alone."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        parse: Parse,
        chunker: Chunker,
        index: IndexWriter,
    ) -> None:
        self._sessions = sessions
        self._parse = parse
        self._chunker = chunker
        self._index = index

    def mark_interrupted_runs(self) -> int:
        """Runs left 'running' by a process that no longer exists are marked interrupted."""
        with transaction(self._sessions) as session:
            stale = [r for r in repo.running_runs(session=session) if not _owner_alive(r.owner)]
            for run in stale:
                run.status = RunStatus.INTERRUPTED
            return len(stale)

    def run(
        self,
        paths: Sequence[Path],
        *,
        collection: str,
        on_file: Callable[[FileResult], None] | None = None,
    ) -> RunReport:
        self.mark_interrupted_runs()
        with transaction(self._sessions) as session:
            coll = repo.get_or_create_collection(session=session, name=collection)
            run = repo.start_run(
                session=session, collection_id=coll.id, files_total=len(paths), owner=run_owner()
            )
            collection_id, run_id = coll.id, run.id
        report = RunReport(run_id=run_id, collection=collection)
        try:
            for path in paths:
                result = self._ingest_one(path, collection_id)
                report.results.append(result)
                if on_file is not None:
                    on_file(result)
        finally:
            self._index.commit()
            finished = len(report.results) == len(paths)
            with transaction(self._sessions) as session:
                repo.finish_run(
                    session=session,
                    run_id=run_id,
                    status=RunStatus.COMPLETED if finished else RunStatus.INTERRUPTED,
                    counts={
                        "files_added": report.count(Outcome.ADDED),
                        "files_replaced": report.count(Outcome.REPLACED),
                        "files_skipped": report.count(Outcome.UNCHANGED),
                        "files_failed": report.count(Outcome.FAILED),
                    },
                )
        return report

    def _ingest_one(self, path: Path, collection_id: int) -> FileResult:
        try:
            return self._store(path, collection_id)
        except IngestError as exc:
            return self._record_failure(path, collection_id, str(exc), exc.code)
        except OSError as exc:
            return self._record_failure(path, collection_id, f"cannot read file: {exc}", "io")
        except Exception as exc:  # one file's unexpected failure must not stop the batch
            log.exception("unexpected error while ingesting %s", path.name)
            message = f"internal error while processing this file ({type(exc).__name__})"
            return self._record_failure(path, collection_id, message, "internal")

    def _store(self, path: Path, collection_id: int) -> FileResult:
        content_hash = file_sha256(path)
        with self._sessions() as session:
            existing = repo.find_document(
                session=session, collection_id=collection_id, file_name=path.name
            )
            twin = repo.find_ready_by_hash(
                session=session, collection_id=collection_id, content_hash=content_hash
            )
            if twin is not None and (existing is None or existing.id == twin.id):
                return FileResult(path, Outcome.UNCHANGED, twin.id, chunks=0)
        media_type, parsed = self._parse(path)
        drafts = self._chunker(parsed)
        if not drafts:
            raise IngestError(f"{path.name}: no text to index after chunking")
        with transaction(self._sessions) as session:
            doc = repo.find_document(
                session=session, collection_id=collection_id, file_name=path.name
            )
            replacing = doc is not None and doc.status == DocumentStatus.READY
            if doc is None:
                doc = Document(collection_id=collection_id, file_name=path.name, version=0)
                session.add(doc)
            doc.content_hash = content_hash
            doc.media_type = media_type
            doc.size_bytes = path.stat().st_size
            doc.version = (doc.version or 0) + 1
            doc.status = DocumentStatus.READY
            doc.error = None
            doc.page_count = len(parsed.pages)
            doc.title = parsed.title
            session.flush()
            removed, rows = repo.replace_chunks(session=session, document=doc, drafts=drafts)
            added = to_indexed(rows)
            document_id = doc.id
        self._index.delete(removed)
        self._index.add(added)
        outcome = Outcome.REPLACED if replacing else Outcome.ADDED
        return FileResult(path, outcome, document_id, chunks=len(added))

    def _record_failure(
        self, path: Path, collection_id: int, message: str, code: str
    ) -> FileResult:
        """A new file that fails is listed with its error; a stored version stays as it was."""
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
                if doc.status == DocumentStatus.READY
                else message
            )
            session.flush()
            document_id = doc.id
        return FileResult(path, Outcome.FAILED, document_id, error=message, error_code=code)
