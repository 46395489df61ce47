"""Background uploads: immediate return, per-file progress, errors kept, safe file names."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from assistant.ingestion.pipeline import FileResult, Outcome, RunReport
from assistant.ingestion.progress import FileProgress, ProgressCallback, Stage
from assistant.permissions import PermissionDeniedError
from ui.jobs import FileState, IngestJobs, safe_file_name


class GatedUploader:
    """Ingests each file when the test lets it; records what it was given."""

    def __init__(self, username: str = "bob", error: Exception | None = None) -> None:
        self.username = username
        self.error = error
        self.gate = threading.Semaphore(0)
        self.seen: list[tuple[Path, bytes]] = []

    def upload(
        self,
        paths: Sequence[Path],
        *,
        collection: str,
        on_file: Callable[[FileResult], None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunReport:
        if self.error is not None:
            raise self.error
        report = RunReport(run_id=1, collection=collection)
        for path in paths:
            if on_progress is not None:
                on_progress(FileProgress(path, Stage.EMBEDDING, 4, 4, 30, 120, seconds_left=90))
            self.gate.acquire(timeout=10)
            self.seen.append((path, path.read_bytes()))
            bad = path.read_bytes() == b"bad"
            result = FileResult(
                path,
                Outcome.FAILED if bad else Outcome.ADDED,
                chunks=0 if bad else 3,
                error="the file is damaged" if bad else None,
            )
            report.results.append(result)
            if on_file is not None:
                on_file(result)
        return report


@pytest.fixture
def jobs() -> Iterator[IngestJobs]:
    pool = IngestJobs(keep_per_user=2)
    yield pool
    pool.shutdown()


def test_a_batch_runs_in_the_background_with_per_file_progress(jobs: IngestJobs) -> None:
    bob = GatedUploader()
    job_id = jobs.start(bob, "finance", [("a.txt", b"alpha"), ("b.txt", b"bad")])
    (started,) = jobs.of("bob")
    assert started.id == job_id
    assert not started.finished
    assert started.collection == "finance"

    bob.gate.release()  # let the first file through
    for _ in range(200):
        states = [f.state for f in jobs.of("bob")[0].files]
        if states[0] == FileState.ADDED:
            break
        threading.Event().wait(0.01)
    assert states == [FileState.ADDED, FileState.PROCESSING]
    assert jobs.of("bob")[0].fraction == 0.5
    second = jobs.of("bob")[0].files[1]  # waiting in its embedding stage
    assert second.stage == "embedding"
    assert second.progress is not None
    assert (second.progress.chunks_done, second.progress.fraction) == (30, 0.25)

    bob.gate.release()
    done = jobs.wait(job_id, timeout=10)
    assert done.finished
    assert [(f.name, f.state, f.chunks, f.error) for f in done.files] == [
        ("a.txt", FileState.ADDED, 3, None),
        ("b.txt", FileState.FAILED, 0, "the file is damaged"),
    ]
    assert jobs.of("alice") == []


def test_a_refused_batch_marks_every_file_with_the_reason(jobs: IngestJobs) -> None:
    denied = GatedUploader(error=PermissionDeniedError("You may not change 'finance'."))
    job = jobs.wait(jobs.start(denied, "finance", [("a.txt", b"x"), ("b.txt", b"y")]), 10)
    assert job.error == "You may not change 'finance'."
    assert {(f.state, f.error) for f in job.files} == {(FileState.FAILED, job.error)}


def test_an_unexpected_failure_is_reported_without_details(jobs: IngestJobs) -> None:
    broken = GatedUploader(error=RuntimeError("database password is hunter2"))
    job = jobs.wait(jobs.start(broken, "finance", [("a.txt", b"x")]), 10)
    assert job.error is not None
    assert "RuntimeError" in job.error
    assert "hunter2" not in job.error


def test_uploaded_names_cannot_escape_the_upload_folder(jobs: IngestJobs) -> None:
    bob = GatedUploader()
    for _ in range(3):
        bob.gate.release()
    uploads = [("../../etc/passwd", b"1"), ("C:\\temp\\x.txt", b"2"), ("..", b"3"), ("x.txt", b"4")]
    job = jobs.wait(jobs.start(bob, "finance", uploads), 10)
    names = [path.name for path, _ in bob.seen]
    assert names == ["passwd", "x.txt", "x.txt"]
    folders = {path.parent.parent for path, _ in bob.seen}
    assert len(folders) == 1
    assert not next(iter(folders)).exists()  # removed once the batch is done
    assert [f.state for f in job.files][2] == FileState.FAILED
    assert [content for _, content in bob.seen] == [b"1", b"2", b"4"]


def test_only_recent_finished_jobs_are_kept(jobs: IngestJobs) -> None:
    bob = GatedUploader()
    for _ in range(4):
        bob.gate.release()
        jobs.wait(jobs.start(bob, "finance", [("a.txt", b"x")]), 10)
    assert len(jobs.of("bob")) == 3  # two finished ones plus the newest


@pytest.mark.parametrize(
    ("name", "expected"),
    [("report.pdf", "report.pdf"), ("a/b/c.md", "c.md"), ("..", None), ("", None), (" ", None)],
)
def test_safe_file_name(name: str, expected: str | None) -> None:
    assert safe_file_name(name) == expected
