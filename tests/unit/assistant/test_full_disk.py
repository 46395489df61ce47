"""A full disk (a small tmpfs holding the database and the indexes) stops ingestion with a
clear error: every document acknowledged before is there and whole, nothing half-written is
stored, and once there is space again the start-up recovery and a re-run complete the work."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from assistant.ingestion.pipeline import FileResult, Outcome
from assistant.service import Assistant
from assistant.storage.faults import StorageUnavailableError
from tests.unit.assistant.access_fakes import make_assistant

pytestmark = pytest.mark.reliability(
    "faults", "full disk (a 6 MB tmpfs) before and during ingestion, then space freed"
)

CLAUSES = 200


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs, mounted for this test only (needs the right to mount)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _contracts(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    files = []
    for i in range(count):
        body = "\n\n".join(
            f"Clause {n} of contract {i}: the buyer pays {n * 13} EUR within {i + 2} days."
            for n in range(CLAUSES)
        )
        path = folder / f"contract-{i}.txt"
        path.write_text(body, encoding="utf-8")
        files.append(path)
    return files


def _fill(disk: Path, leave_kb: int) -> Path:
    """Take all the free space of ``disk`` but ``leave_kb``."""
    stats = os.statvfs(disk)
    ballast = disk / "ballast"
    ballast.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave_kb * 1024))
    return ballast


def _assert_whole(
    assistant: Assistant,
    expected: set[str],
    chunks: dict[str, int],
    unsaved: Collection[str] = (),
) -> None:
    """Every expected document stored with all its chunks; those whose index was not saved
    (``unsaved``) are not listed as ready."""
    with assistant.sessions() as session:
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    documents = {d.file_name: d for d in assistant.documents()}
    assert set(documents) == expected
    for name, doc in documents.items():
        assert doc.chunks == chunks[name], f"{name} is partial"
        assert doc.status == ("indexing" if name in unsaved else "ready"), name


@pytest.mark.parametrize("leave_kb", [0, 128])
def test_full_disk_stops_cleanly_and_recovers(
    small_disk: Path, tmp_path: Path, leave_kb: int
) -> None:
    files = _contracts(tmp_path / "corpus", 8)
    data_dir = small_disk / "data"
    assistant = make_assistant(data_dir)
    assistant.ingest(files[:3], collection="legal")
    chunks = {f.name: len(assistant.chunk(assistant.parse(f)[1])) for f in files}
    ballast = _fill(small_disk, leave_kb)

    acknowledged: list[FileResult] = []
    with pytest.raises(StorageUnavailableError, match=r"disk .* is full"):
        assistant.ingest(files[3:], collection="legal", on_file=acknowledged.append)
    assert all(r.outcome == Outcome.ADDED for r in acknowledged)
    if leave_kb == 0:
        assert acknowledged == []
    stored = {f.name for f in files[:3]} | {r.path.name for r in acknowledged}
    assistant.engine.dispose()

    restarted = make_assistant(data_dir)
    _assert_whole(restarted, stored, chunks, unsaved={r.path.name for r in acknowledged})
    hits = restarted.search("contract 1 buyer pays 39 EUR", collections=["legal"], k=1)
    assert hits[0].chunk.file_name == "contract-1.txt"

    ballast.unlink()
    restarted.recover()
    assert restarted.check().consistent
    resumed = restarted.ingest(files, collection="legal")
    outcomes = {r.path.name: r.outcome for r in resumed.results}
    assert {n for n, o in outcomes.items() if o == Outcome.UNCHANGED} == stored
    assert {n for n, o in outcomes.items() if o == Outcome.ADDED} == {
        f.name for f in files
    } - stored
    _assert_whole(restarted, {f.name for f in files}, chunks)
    assert restarted.check().consistent
    restarted.engine.dispose()
