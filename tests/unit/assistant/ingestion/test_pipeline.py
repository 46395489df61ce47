"""The ingestion pipeline on real databases (SQLite and PostgreSQL) with model-free parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from assistant.ingestion.pipeline import IngestionPipeline, Outcome
from assistant.storage import repository as repo
from assistant.storage.db import create_db_engine, make_session_factory, migrate
from assistant.storage.models import Chunk, Document, DocumentStatus, IngestionRun, RunStatus
from tests.unit.assistant.ingestion.fakes import RecordingIndex, fake_chunker, fake_parse


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


def make_pipeline(sessions: sessionmaker[Session], index: RecordingIndex) -> IngestionPipeline:
    return IngestionPipeline(sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=index)


def stored_chunk_ids(sessions: sessionmaker[Session]) -> set[int]:
    with sessions() as session:
        return repo.all_chunk_ids(session=session)


def test_ingest_stores_documents_chunks_and_indexes_them(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    index = RecordingIndex()
    files = [write(tmp_path, "a.txt", "alpha one\n\nalpha two"), write(tmp_path, "b.txt", "beta")]
    report = make_pipeline(sessions, index).run(files, collection="legal")

    assert [r.outcome for r in report.results] == [Outcome.ADDED, Outcome.ADDED]
    assert [r.chunks for r in report.results] == [2, 1]
    assert set(index.chunks) == stored_chunk_ids(sessions)
    assert index.commits == 1
    with sessions() as session:
        chunk = session.scalars(select(Chunk).where(Chunk.text == "alpha two")).one()
        assert (chunk.page, chunk.char_start, chunk.char_end) == (1, 11, 20)
        run = session.get(IngestionRun, report.run_id)
        assert run is not None
        assert (run.status, run.files_added, run.files_failed) == (RunStatus.COMPLETED, 2, 0)


def test_same_file_twice_adds_nothing(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    index = RecordingIndex()
    path = write(tmp_path, "a.txt", "alpha\n\nbeta")
    pipeline = make_pipeline(sessions, index)
    pipeline.run([path], collection="c")
    before = stored_chunk_ids(sessions)

    again = pipeline.run([path], collection="c")
    (tmp_path / "copy").mkdir()
    copy = write(tmp_path / "copy", "renamed.txt", "alpha\n\nbeta")
    renamed = pipeline.run([copy], collection="c")

    assert again.results[0].outcome == Outcome.UNCHANGED
    assert renamed.results[0].outcome == Outcome.UNCHANGED
    assert stored_chunk_ids(sessions) == before
    with sessions() as session:
        assert session.scalar(select(func.count(Document.id))) == 1


def test_changed_file_replaces_previous_version(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    index = RecordingIndex()
    pipeline = make_pipeline(sessions, index)
    path = write(tmp_path, "policy.txt", "old clause\n\nold terms")
    pipeline.run([path], collection="c")
    old_ids = stored_chunk_ids(sessions)

    write(tmp_path, "policy.txt", "new clause")
    report = pipeline.run([path], collection="c")

    assert report.results[0].outcome == Outcome.REPLACED
    new_ids = stored_chunk_ids(sessions)
    assert new_ids.isdisjoint(old_ids) and len(new_ids) == 1
    assert set(index.chunks) == new_ids
    with sessions() as session:
        doc = session.scalars(select(Document)).one()
        assert doc.version == 2
        assert [c.text for c in doc.chunks] == ["new clause"]


def test_bad_file_fails_alone_with_its_error_recorded(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    index = RecordingIndex()
    files = [
        write(tmp_path, "good1.txt", "fine"),
        write(tmp_path, "broken.txt", "CORRUPT bytes"),
        tmp_path / "vanished.txt",
        write(tmp_path, "good2.txt", "also fine"),
    ]
    report = make_pipeline(sessions, index).run(files, collection="c")

    outcomes = {r.path.name: r for r in report.results}
    assert outcomes["good1.txt"].outcome == Outcome.ADDED
    assert outcomes["good2.txt"].outcome == Outcome.ADDED
    assert outcomes["broken.txt"].outcome == Outcome.FAILED
    assert outcomes["broken.txt"].error_code == "corrupt_file"
    assert "damaged" in (outcomes["broken.txt"].error or "")
    assert outcomes["vanished.txt"].outcome == Outcome.FAILED
    with sessions() as session:
        failed = session.scalars(select(Document).where(Document.file_name == "broken.txt")).one()
        assert failed.status == DocumentStatus.FAILED
        assert failed.error and "damaged" in failed.error
        assert not failed.chunks


def test_failed_new_version_keeps_the_stored_one(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    index = RecordingIndex()
    pipeline = make_pipeline(sessions, index)
    path = write(tmp_path, "memo.txt", "version one")
    pipeline.run([path], collection="c")
    ids = stored_chunk_ids(sessions)

    write(tmp_path, "memo.txt", "CORRUPT now")
    report = pipeline.run([path], collection="c")

    assert report.results[0].outcome == Outcome.FAILED
    assert stored_chunk_ids(sessions) == ids == set(index.chunks)
    with sessions() as session:
        doc = session.scalars(select(Document)).one()
        assert (doc.status, doc.version) == (DocumentStatus.READY, 1)
        assert doc.error and "kept" in doc.error


def test_failure_inside_the_store_transaction_writes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A chunk row that cannot be written rolls the whole document back."""
    index = RecordingIndex()

    def broken_chunker(doc):
        drafts = fake_chunker(doc)
        bad = drafts[0].__class__(ordinal=1, text=None, page=1, char_start=0, char_end=1)  # type: ignore[arg-type]
        return [*drafts, bad]

    pipeline = IngestionPipeline(
        sessions=sessions, parse=fake_parse, chunker=broken_chunker, index=index
    )
    report = pipeline.run([write(tmp_path, "x.txt", "some text")], collection="c")

    assert report.results[0].outcome == Outcome.FAILED
    assert stored_chunk_ids(sessions) == set() == set(index.chunks)
    with sessions() as session:
        doc = session.scalars(select(Document)).one()
        assert doc.status == DocumentStatus.FAILED


def test_empty_chunking_is_a_clear_failure(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    report = make_pipeline(sessions, RecordingIndex()).run(
        [write(tmp_path, "blank.txt", "   \n\n  ")], collection="c"
    )
    assert report.results[0].outcome == Outcome.FAILED
    assert "no text" in (report.results[0].error or "")
