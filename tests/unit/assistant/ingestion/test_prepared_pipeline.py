"""``IngestionPipeline.run_prepared``: the storing rules of ``run`` for files prepared elsewhere."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.index_text import draft_index_text, index_text
from assistant.ingestion.pipeline import (
    FailedFile,
    IngestionPipeline,
    Outcome,
    PreparedFile,
    prepare_file,
)
from assistant.storage import repository as repo
from assistant.storage.db import create_db_engine, make_session_factory, migrate
from assistant.storage.models import Document, DocumentStatus, IngestionRun, RunStatus
from ingest.types import ChunkDraft
from tests.unit.assistant.ingestion.fakes import RecordingIndex, fake_chunker, fake_parse


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(database_url)
    migrate(engine)
    yield make_session_factory(engine)
    engine.dispose()


class LocalPrepare:
    """Prepares in this process, remembering which paths it was asked for."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def __call__(self, paths: Sequence[Path]) -> Iterator[PreparedFile | FailedFile]:
        self.asked.append([p.name for p in paths])
        for path in paths:
            try:
                yield prepare_file(path, parse=fake_parse, chunker=fake_chunker)
            except Exception as exc:
                yield FailedFile(path, f"could not prepare: {exc}", "corrupt_file")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def make_pipeline(sessions: sessionmaker[Session], index: RecordingIndex) -> IngestionPipeline:
    return IngestionPipeline(sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=index)


def test_prepared_files_are_stored_like_a_local_run(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    files = [
        write(tmp_path, "a.txt", "alpha one\n\nalpha two"),
        write(tmp_path, "bad.txt", "CORRUPT"),
        write(tmp_path, "b.txt", "beta"),
    ]
    index = RecordingIndex()
    prepare = LocalPrepare()

    report = make_pipeline(sessions, index).run_prepared(files, prepare, collection="c")

    assert [(r.path.name, r.outcome) for r in report.results] == [
        ("a.txt", Outcome.ADDED),
        ("bad.txt", Outcome.FAILED),
        ("b.txt", Outcome.ADDED),
    ]
    assert report.results[1].error_code == "corrupt_file"
    with sessions() as session:
        assert set(index.chunks) == repo.all_chunk_ids(session=session)
        bad = session.scalars(select(Document).where(Document.file_name == "bad.txt")).one()
        assert bad.status == DocumentStatus.FAILED and "could not prepare" in (bad.error or "")
        run = session.get(IngestionRun, report.run_id)
        assert run is not None
        assert (run.status, run.files_added, run.files_failed) == (RunStatus.COMPLETED, 2, 1)
    assert index.commits == 1


def test_stored_files_never_reach_prepare_and_changed_ones_are_replaced(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    same = write(tmp_path, "same.txt", "kept text")
    changed = write(tmp_path, "changed.txt", "old text")
    index = RecordingIndex()
    pipeline = make_pipeline(sessions, index)
    pipeline.run([same, changed], collection="c")
    write(tmp_path, "changed.txt", "new text")
    prepare = LocalPrepare()

    report = pipeline.run_prepared([same, changed], prepare, collection="c")

    assert prepare.asked == [["changed.txt"]]
    assert {r.path.name: r.outcome for r in report.results} == {
        "same.txt": Outcome.UNCHANGED,
        "changed.txt": Outcome.REPLACED,
    }
    texts = sorted(c.text for c in index.chunks.values())
    assert texts == ["changed\nnew text", "same\nkept text"]


def test_results_missing_from_prepare_leave_the_run_interrupted(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    files = [write(tmp_path, "a.txt", "alpha"), write(tmp_path, "b.txt", "beta")]

    def only_first(paths: Sequence[Path]) -> Iterator[PreparedFile]:
        yield prepare_file(paths[0], parse=fake_parse, chunker=fake_chunker)

    report = make_pipeline(sessions, RecordingIndex()).run_prepared(
        files, only_first, collection="c"
    )

    assert [r.outcome for r in report.results] == [Outcome.ADDED]
    with sessions() as session:
        run = session.get(IngestionRun, report.run_id)
        assert run is not None and run.status == RunStatus.INTERRUPTED


def test_draft_index_text_is_the_index_text_of_the_stored_chunk(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    draft = ChunkDraft(
        ordinal=0,
        text="Notice period is 30 days.",
        page=2,
        char_start=5,
        char_end=30,
        heading_path=("Agreement", "Termination"),
    )
    item = PreparedFile(
        path=tmp_path / "Acme_Supply-Agreement.v2.txt",
        content_hash="h",
        size_bytes=1,
        media_type="text/plain",
        page_count=2,
        title=None,
        drafts=(draft,),
    )
    index = RecordingIndex()
    make_pipeline(sessions, index).run_prepared([item.path], lambda _: [item], collection="c")

    (stored,) = index.chunks.values()
    expected = "Acme Supply-Agreement.v2\nAgreement > Termination\n" + draft.text
    assert stored.text == draft_index_text(draft, item.path.name) == expected
    with sessions() as session:
        (row,) = repo.chunks_by_ids(session=session, chunk_ids=[stored.chunk_id]).values()
        names = repo.file_names(session=session, document_ids=[row.document_id])
        assert index_text(row, names[row.document_id]) == stored.text
