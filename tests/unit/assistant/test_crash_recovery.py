"""Killing the assistant (kill -9) in the middle of a database write or of an ingestion run:
after a restart every acknowledged document is there and whole, nothing half-written is
visible, and storage and indexes agree once the start-up recovery has run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from assistant.ingestion.pipeline import Outcome
from assistant.service import Assistant
from assistant.storage.models import Chunk, Document, DocumentStatus, IngestionRun, RunStatus
from tests.unit.assistant.access_fakes import make_assistant

pytestmark = pytest.mark.reliability(
    "faults",
    "kill -9 inside a database write and during an ingestion run, then restart",
)

ROOT = Path(__file__).resolve().parents[3]
FILES = 30
PARAGRAPHS = 40

WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import assistant.storage.repository as repo
    from assistant.service import Assistant
    from tests.unit.assistant.access_fakes import make_assistant

    data_dir, url, mode, marker = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
    files = [Path(p) for p in sys.argv[5:]]
    if mode == "inside-write":  # chunks written, transaction not yet committed
        real_replace = repo.replace_chunks
        def replace_chunks(**kwargs):
            result = real_replace(**kwargs)
            marker.touch()
            time.sleep(60)
            return result
        repo.replace_chunks = replace_chunks
    else:  # a slow parser, so the run is killed between documents
        real_parse = Assistant.parse
        def parse(self, path, on_page=None):
            time.sleep(0.1)
            return real_parse(self, path, on_page)
        Assistant.parse = parse
    make_assistant(data_dir, url).ingest(files, collection="legal")
    """
)


def _contract(folder: Path, name: str, notice: str, clauses: int = PARAGRAPHS) -> Path:
    body = "\n\n".join(
        f"Clause {n} of {name}: the supplier delivers lot {n} within {notice} of the order."
        for n in range(clauses)
    )
    path = folder / name
    path.write_text(f"Supply agreement {name}\n\n{body}\n", encoding="utf-8")
    return path


def _run_worker(
    data_dir: Path, url: str, mode: str, files: list[Path], ready: Callable[[], bool] | None
) -> None:
    marker = data_dir.parent / "marker"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(data_dir), url, mode, str(marker)]
        + [str(f) for f in files],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 90
        while worker.poll() is None and time.monotonic() < deadline:
            if (mode == "inside-write" and marker.exists()) or (ready is not None and ready()):
                break
            time.sleep(0.05)
        assert worker.poll() is None, "the worker ended before it could be killed"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)


def _chunk_counts(assistant: Assistant, files: list[Path]) -> dict[str, int]:
    """How many chunks each file makes when stored whole."""
    return {f.name: len(assistant.chunk(assistant.parse(f)[1])) for f in files}


def _assert_storage_whole(assistant: Assistant, expected_chunks: dict[str, int]) -> None:
    with assistant.sessions() as session:
        if assistant.engine.dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        orphans = session.scalar(
            select(func.count(Chunk.id)).where(Chunk.document_id.not_in(select(Document.id)))
        )
        assert orphans == 0
        for doc in session.scalars(select(Document)):
            assert doc.status == DocumentStatus.READY
            assert len(doc.chunks) == expected_chunks[doc.file_name], f"{doc.file_name} is partial"


def test_kill_inside_a_database_write_keeps_the_stored_version(
    database_url: str, tmp_path: Path
) -> None:
    data_dir, corpus = tmp_path / "data", tmp_path / "corpus"
    corpus.mkdir()
    first = make_assistant(data_dir, database_url)
    stored = [_contract(corpus, f"supply-{i}.txt", "30 days") for i in range(3)]
    first.ingest(stored, collection="legal")
    expected = _chunk_counts(first, stored)
    first.engine.dispose()
    changed = _contract(corpus, "supply-1.txt", "90 days")

    _run_worker(data_dir, database_url, "inside-write", [changed], ready=None)

    restarted = make_assistant(data_dir, database_url)
    restarted.recover()
    _assert_storage_whole(restarted, expected)
    [doc] = [d for d in restarted.documents() if d.file_name == "supply-1.txt"]
    assert doc.version == 1
    passages = restarted.search("supply-1 delivers lot 4", collections=["legal"], k=3)
    assert passages and "30 days" in passages[0].chunk.text
    assert restarted.check().consistent
    again = restarted.ingest([changed], collection="legal")
    assert [r.outcome for r in again.results] == [Outcome.REPLACED]
    passages = restarted.search("supply-1 delivers lot 4", collections=["legal"], k=3)
    assert "90 days" in passages[0].chunk.text
    restarted.engine.dispose()


def test_kill_during_an_ingestion_run_is_healed_at_restart(
    database_url: str, tmp_path: Path
) -> None:
    data_dir, corpus = tmp_path / "data", tmp_path / "corpus"
    corpus.mkdir()
    files = [_contract(corpus, f"lease-{i:02d}.txt", f"{i + 1} days") for i in range(FILES)]
    observer = make_assistant(data_dir, database_url)
    expected = _chunk_counts(observer, files)

    def some_stored() -> bool:
        with observer.sessions() as session:
            return (session.scalar(select(func.count(Document.id))) or 0) >= 3

    _run_worker(data_dir, database_url, "between-documents", files, ready=some_stored)
    observer.engine.dispose()

    restarted = make_assistant(data_dir, database_url)
    stored = {d.file_name for d in restarted.documents()}
    assert 3 <= len(stored) < FILES, "the kill must land mid-run"
    assert not restarted.check().consistent, "the killed run had not saved its index yet"
    report = restarted.recover()
    assert report.missing == sum(expected[name] for name in stored)
    assert restarted.check().consistent
    _assert_storage_whole(restarted, expected)
    name = sorted(stored)[-1]
    passages = restarted.search(f"{name} delivers lot 3", collections=["legal"], k=1)
    assert passages[0].chunk.file_name == name

    resumed = restarted.ingest(files, collection="legal")
    outcomes = {r.path.name: r.outcome for r in resumed.results}
    assert all(outcomes[n] == Outcome.UNCHANGED for n in stored)
    assert sum(o == Outcome.ADDED for o in outcomes.values()) == FILES - len(stored)
    assert restarted.check().consistent
    with restarted.sessions() as session:
        runs = [r.status for r in session.scalars(select(IngestionRun).order_by(IngestionRun.id))]
    assert runs == [RunStatus.INTERRUPTED, RunStatus.COMPLETED]
    restarted.engine.dispose()
