"""A file's progress through the pipeline, and its document listed as ready only once the
index holding its chunks is saved."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from assistant.index_sync import IndexSync
from assistant.ingestion import pipeline as pipeline_module
from assistant.ingestion.pipeline import FileResult, IngestionPipeline, Outcome
from assistant.ingestion.progress import FileProgress, FileTracker, Stage
from assistant.settings import IndexSettings
from assistant.storage.db import create_db_engine, make_session_factory, migrate
from assistant.storage.models import Document, DocumentStatus
from indexes.protocols import EmbedProgress, IndexedChunk
from tests.unit.assistant.ingestion.fakes import RecordingIndex, fake_chunker, fake_parse
from tests.unit.indexes.index_fakes import HashingEmbedder

THREE_PAGES = "one a\n\none b\fpage two\fthree a\n\nthree b\n\nthree c"
"""Three pages and six chunks for the fake parser and chunker."""


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(database_url)
    migrate(engine)
    yield make_session_factory(engine)
    engine.dispose()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def statuses(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as session:
        return {d.file_name: d.status for d in session.scalars(select(Document))}


def test_a_file_reports_pages_read_chunks_embedded_then_ready(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    index = RecordingIndex(slice=4)
    pipeline = IngestionPipeline(
        sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=index
    )
    events: list[FileProgress] = []
    seen_at_result: list[tuple[str, int]] = []

    def on_file(result: FileResult) -> None:
        seen_at_result.append((statuses(sessions)["report.txt"], index.commits))

    path = write(tmp_path, "report.txt", THREE_PAGES)
    report = pipeline.run([path], collection="c", on_file=on_file, on_progress=events.append)

    assert report.results[0].outcome == Outcome.ADDED
    assert {event.path for event in events} == {path}
    steps = [(e.stage, e.pages_done, e.pages_total, e.chunks_done, e.chunks_total) for e in events]
    assert steps == [
        (Stage.PARSING, 0, None, 0, None),
        (Stage.PARSING, 1, 3, 0, None),
        (Stage.PARSING, 2, 3, 0, None),
        (Stage.PARSING, 3, 3, 0, None),
        (Stage.STORING, 3, 3, 0, 6),
        (Stage.EMBEDDING, 3, 3, 0, 6),
        (Stage.EMBEDDING, 3, 3, 4, 6),
        (Stage.EMBEDDING, 3, 3, 6, 6),
        (Stage.INDEXED, 3, 3, 6, 6),
        (Stage.READY, 3, 3, 6, 6),
    ]
    assert [e.fraction for e in events if e.stage == Stage.EMBEDDING] == [0, 4 / 6, 1]
    # told of the file before the index was saved: stored, not yet searchable
    assert seen_at_result == [(DocumentStatus.INDEXING, 0)]
    assert statuses(sessions) == {"report.txt": DocumentStatus.READY}
    assert index.commits == 1


def test_the_index_is_saved_during_a_long_run_and_its_documents_listed_ready(
    sessions: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline_module, "SAVE_EVERY_S", 0.0)
    index = RecordingIndex()
    pipeline = IngestionPipeline(
        sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=index
    )
    files = [write(tmp_path, f"{name}.txt", f"text of {name}") for name in ("a", "b", "c")]
    seen: list[dict[str, str]] = []
    pipeline.run(files, collection="c", on_file=lambda _: seen.append(statuses(sessions)))

    # each file is listed ready at the save after it, before the next one is stored
    assert seen == [
        {"a.txt": "indexing"},
        {"a.txt": "ready", "b.txt": "indexing"},
        {"a.txt": "ready", "b.txt": "ready", "c.txt": "indexing"},
    ]
    assert statuses(sessions) == dict.fromkeys(("a.txt", "b.txt", "c.txt"), "ready")


class FailingIndex(RecordingIndex):
    """An index whose embedding model fails."""

    def add(self, chunks: Sequence[IndexedChunk], on_embedded: EmbedProgress | None = None) -> None:
        raise RuntimeError("the embedding model is missing")


def test_an_indexing_failure_lists_the_document_failed_with_its_chunks_kept(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    pipeline = IngestionPipeline(
        sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=FailingIndex()
    )
    events: list[FileProgress] = []
    report = pipeline.run(
        [write(tmp_path, "a.txt", "alpha\n\nbeta")], collection="c", on_progress=events.append
    )

    (result,) = report.results
    assert (result.outcome, result.error_code) == (Outcome.FAILED, "indexing")
    assert "the embedding model is missing" in (result.error or "")
    assert events[-1].stage == Stage.EMBEDDING  # never indexed, never ready
    with sessions() as session:
        doc = session.scalars(select(Document)).one()
        assert doc.status == DocumentStatus.FAILED
        assert "indexing failed" in (doc.error or "")
        assert len(doc.chunks) == 2


def test_a_repair_indexes_a_failed_or_unfinished_document_and_lists_it_ready(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    failing = IngestionPipeline(
        sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=FailingIndex()
    )
    failing.run([write(tmp_path, "a.txt", "alpha\n\nbeta")], collection="c")
    IngestionPipeline(
        sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=RecordingIndex()
    ).run([write(tmp_path, "b.txt", "gamma")], collection="c")
    with sessions() as session:  # as a process killed before saving the index leaves it
        left = update(Document).where(Document.file_name == "b.txt")
        session.execute(left.values(status=DocumentStatus.INDEXING))
        session.commit()
    sync = IndexSync(
        index_dir=tmp_path / "index", settings=IndexSettings(), embedder=HashingEmbedder()
    )

    checked = sync.reconcile(sessions, repair=False)
    assert checked.missing == 3
    assert statuses(sessions) == {"a.txt": "failed", "b.txt": "indexing"}

    sync.reconcile(sessions, repair=True)
    assert statuses(sessions) == {"a.txt": "ready", "b.txt": "ready"}
    with sessions() as session:
        assert {d.error for d in session.scalars(select(Document))} == {None}


def test_a_file_that_fails_to_parse_never_has_chunks_listed_ready(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    sync = IndexSync(
        index_dir=tmp_path / "index", settings=IndexSettings(), embedder=HashingEmbedder()
    )
    pipeline = IngestionPipeline(
        sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=sync
    )
    pipeline.run([write(tmp_path, "bad.txt", "CORRUPT")], collection="c")
    sync.reconcile(sessions, repair=True)

    assert statuses(sessions) == {"bad.txt": "failed"}


def test_time_left_is_the_stage_rate_applied_to_what_remains() -> None:
    now = [100.0]
    told: list[FileProgress] = []
    tracker = FileTracker(Path("big.pdf"), told.append, clock=lambda: now[0])
    now[0] = 104.0
    tracker.pages_read(2, 10)
    assert told[-1].seconds_left == pytest.approx(16.0)  # 2 s a page, 8 pages to go
    tracker.storing(300)
    tracker.embedding()
    assert told[-1].seconds_left is None  # no rate known yet in this stage
    now[0] = 110.0
    tracker.embedded(100, 300)
    assert told[-1].seconds_left == pytest.approx(12.0)
    assert told[-1].fraction == pytest.approx(1 / 3)
    tracker.embedded(300, 300)
    assert told[-1].seconds_left is None
