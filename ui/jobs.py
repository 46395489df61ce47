"""Uploads ingested in background threads, so a long batch blocks neither the page that
started it nor anyone else, and its per-file progress can be shown while it runs: the stage a
file is in (parsing, storing, embedding, indexed, ready), its pages read and chunks embedded,
and the time its stage still needs."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Protocol

from assistant.accounts import AccountError
from assistant.ingestion.pipeline import FileResult, Outcome, RunReport
from assistant.ingestion.progress import FileProgress, ProgressCallback
from assistant.permissions import PermissionDeniedError
from assistant.storage.faults import StorageUnavailableError, storage_fault
from assistant.storage.models import utcnow
from assistant.storage.repository import NotFoundError

log = logging.getLogger(__name__)


class Uploader(Protocol):
    """Who a batch runs as: the user-scoped service checks the right to upload."""

    @property
    def username(self) -> str: ...

    def upload(
        self,
        paths: Sequence[Path],
        *,
        collection: str,
        on_file: Callable[[FileResult], None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunReport: ...


class FileState(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class FileStatus:
    """One file of a batch: ``state`` is its outcome once known, ``progress`` the last step
    ingestion reported for it (``None`` before the first, and for a file left unchanged)."""

    name: str
    state: FileState = FileState.QUEUED
    chunks: int = 0
    error: str | None = None
    progress: FileProgress | None = None

    @property
    def done(self) -> bool:
        return self.state not in (FileState.QUEUED, FileState.PROCESSING)

    @property
    def stage(self) -> str:
        """The last ingestion stage reported for the file: a file stored and embedded is
        'indexed' until the index holding it is saved, then 'ready'; a failed file shows the
        stage it failed in."""
        return "" if self.progress is None else self.progress.stage.value


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of one upload batch."""

    id: str
    owner: str
    collection: str
    files: tuple[FileStatus, ...]
    started_at: datetime = field(default_factory=utcnow)
    finished: bool = False
    error: str | None = None

    @property
    def done_count(self) -> int:
        return sum(1 for f in self.files if f.done)

    @property
    def fraction(self) -> float:
        return self.done_count / len(self.files) if self.files else 1.0


def safe_file_name(name: str) -> str | None:
    """The base name of an uploaded file, or ``None`` when there is no usable one."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else None


class IngestJobs:
    """Runs upload batches on a small pool of threads and keeps their progress per user."""

    def __init__(self, *, workers: int = 1, keep_per_user: int = 20) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest")
        self._keep = keep_per_user
        self._lock = threading.Lock()
        self._jobs: dict[str, JobStatus] = {}
        self._futures: dict[str, Future[None]] = {}

    def start(self, user: Uploader, collection: str, uploads: Sequence[tuple[str, bytes]]) -> str:
        """Queue ``(file name, content)`` pairs for ingestion into ``collection`` as ``user``;
        returns the job id at once."""
        job = JobStatus(
            id=uuid.uuid4().hex,
            owner=user.username,
            collection=collection,
            files=tuple(FileStatus(name) for name, _ in uploads),
        )
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old(user.username)
            self._futures[job.id] = self._pool.submit(
                self._run, job.id, user, collection, list(uploads)
            )
        return job.id

    def _forget_old(self, owner: str) -> None:
        mine = sorted(
            (j for j in self._jobs.values() if j.owner == owner and j.finished),
            key=lambda j: j.started_at,
        )
        for job in mine[: max(0, len(mine) - self._keep)]:
            del self._jobs[job.id]
            self._futures.pop(job.id, None)

    def of(self, owner: str) -> list[JobStatus]:
        """The user's jobs, newest first."""
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner]
        return sorted(mine, key=lambda j: j.started_at, reverse=True)

    def wait(self, job_id: str, timeout: float | None = None) -> JobStatus:
        """Block until the job has finished (for shutdown and tests)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout)
        with self._lock:
            return self._jobs[job_id]

    def _update(self, job_id: str, index: int, change: Callable[[FileStatus], FileStatus]) -> None:
        """Apply ``change`` to file ``index`` of the job."""
        with self._lock:
            job = self._jobs[job_id]
            files = list(job.files)
            files[index] = change(files[index])
            self._jobs[job_id] = replace(job, files=tuple(files))

    def _finish(self, job_id: str, error: str | None) -> None:
        with self._lock:
            job = self._jobs[job_id]
            files = tuple(
                f if f.done else replace(f, state=FileState.FAILED, error=error) for f in job.files
            )
            self._jobs[job_id] = replace(job, files=files, finished=True, error=error)

    def _run(
        self,
        job_id: str,
        user: Uploader,
        collection: str,
        uploads: list[tuple[str, bytes]],
    ) -> None:
        folder = Path(tempfile.mkdtemp(prefix="assistant-upload-"))
        error: str | None = None
        try:
            self._ingest(job_id, user, collection, uploads, folder)
        except (PermissionDeniedError, NotFoundError, AccountError, StorageUnavailableError) as exc:
            error = str(exc)
        except Exception as exc:  # a failed batch is reported on the page, never lost
            fault = storage_fault(exc)
            log.exception("upload batch %s failed", job_id)
            error = str(fault or f"internal error ({type(exc).__name__}); see the server log")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            self._finish(job_id, error)

    def _ingest(
        self,
        job_id: str,
        user: Uploader,
        collection: str,
        uploads: list[tuple[str, bytes]],
        folder: Path,
    ) -> None:
        paths: list[Path] = []
        positions: dict[Path, int] = {}
        for index, (name, content) in enumerate(uploads):
            base = safe_file_name(name)
            if base is None:
                self._update(
                    job_id,
                    index,
                    lambda f: replace(f, state=FileState.FAILED, error="no file name"),
                )
                continue
            # one folder per file, so two uploads of the same name do not overwrite each other
            path = folder / str(index) / base
            path.parent.mkdir()
            path.write_bytes(content)
            paths.append(path)
            positions[path] = index
        if not paths:
            return
        order = iter(paths)

        def next_processing() -> None:
            following = next(order, None)
            if following is not None:
                self._update(
                    job_id, positions[following], lambda f: replace(f, state=FileState.PROCESSING)
                )

        def on_file(result: FileResult) -> None:
            self._update(
                job_id,
                positions[result.path],
                lambda f: replace(
                    f,
                    state=FileState(result.outcome.value),
                    chunks=result.chunks if result.outcome != Outcome.FAILED else 0,
                    error=result.error,
                ),
            )
            next_processing()

        def on_progress(progress: FileProgress) -> None:
            self._update(job_id, positions[progress.path], lambda f: replace(f, progress=progress))

        next_processing()
        user.upload(paths, collection=collection, on_file=on_file, on_progress=on_progress)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
