"""Killing the ingesting process (kill -9) leaves no half-written document, and a re-run
resumes where it stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assistant.ingestion.pipeline import IngestionPipeline, Outcome
from assistant.storage.db import create_db_engine, make_session_factory, migrate
from assistant.storage.models import Chunk, Document, DocumentStatus, IngestionRun, RunStatus
from tests.unit.assistant.ingestion.fakes import RecordingIndex, fake_chunker, fake_parse

pytestmark = pytest.mark.reliability(
    "faults", "kill -9 during an ingestion run: no half-written document, a re-run resumes"
)

ROOT = Path(__file__).resolve().parents[4]
PARAGRAPHS = 40

WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from assistant.storage.db import create_db_engine, make_session_factory, migrate
    from assistant.ingestion.pipeline import IngestionPipeline
    from tests.unit.assistant.ingestion.fakes import RecordingIndex, fake_chunker, slow_parse

    engine = create_db_engine(sys.argv[1])
    migrate(engine)
    pipeline = IngestionPipeline(
        sessions=make_session_factory(engine),
        parse=slow_parse,
        chunker=fake_chunker,
        index=RecordingIndex(),
    )
    pipeline.run(sorted(Path(sys.argv[2]).iterdir()), collection="crash")
    """
)


def test_kill_during_ingestion_leaves_whole_documents_and_resumes(
    database_url: str, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(40):
        body = "\n\n".join(f"paragraph {p} of file {i}" for p in range(PARAGRAPHS))
        (corpus / f"f{i:02d}.txt").write_text(f"title {i}\n\n{body}", encoding="utf-8")
    engine = create_db_engine(database_url)
    migrate(engine)
    sessions = make_session_factory(engine)

    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, database_url, str(corpus)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sessions() as session:
                if (session.scalar(select(func.count(Document.id))) or 0) >= 3:
                    break
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(timeout=30)

    with sessions() as session:
        docs = list(session.scalars(select(Document)))
        assert 3 <= len(docs) < 40, "the kill must land mid-run"
        for doc in docs:
            assert doc.status == DocumentStatus.INDEXING  # stored whole, its index never saved
            assert len(doc.chunks) == PARAGRAPHS + 1, f"{doc.file_name} is half-written"
        orphans = session.scalar(
            select(func.count(Chunk.id)).where(Chunk.document_id.not_in(select(Document.id)))
        )
        assert orphans == 0
        stored_before = {d.file_name for d in docs}

    index = RecordingIndex()
    pipeline = IngestionPipeline(
        sessions=sessions, parse=fake_parse, chunker=fake_chunker, index=index
    )
    assert pipeline.mark_interrupted_runs() == 1
    report = pipeline.run(sorted(corpus.iterdir()), collection="crash")

    by_name = {r.path.name: r.outcome for r in report.results}
    assert all(by_name[name] == Outcome.UNCHANGED for name in stored_before)
    assert sum(o == Outcome.ADDED for o in by_name.values()) == 40 - len(stored_before)
    with sessions() as session:
        assert session.scalar(select(func.count(Chunk.id))) == 40 * (PARAGRAPHS + 1)
        assert set(index.chunks) == set(session.scalars(select(Chunk.id)))  # resumed ones too
        assert {d.status for d in session.scalars(select(Document))} == {DocumentStatus.READY}
        statuses = [
            r.status for r in session.scalars(select(IngestionRun).order_by(IngestionRun.id))
        ]
        assert statuses == [RunStatus.INTERRUPTED, RunStatus.COMPLETED]
    engine.dispose()
