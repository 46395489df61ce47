"""PostgreSQL restarted, or stopped for a while, in the middle of an ingestion run: a restart
is ridden out (the file being stored is retried), an outage stops the run with a clear error,
and in both cases every acknowledged document is there and whole and the indexes agree."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from assistant.ingestion import pipeline
from assistant.ingestion.pipeline import FileResult, Outcome
from assistant.service import Assistant
from assistant.storage.faults import StorageUnavailableError
from assistant.storage.models import Document, IngestionRun, RunStatus
from ingest.types import PageProgress, ParsedDocument
from tests.network import free_port
from tests.unit.assistant.access_fakes import make_assistant

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.reliability(
        "faults",
        "PostgreSQL restarted mid-run (ridden out) and stopped mid-run (clean stop, then resumed)",
    ),
]

PG_BIN = Path("/usr/lib/postgresql/15/bin")
FILES = 16


@dataclass
class Server:
    """A private PostgreSQL cluster this test may stop and restart at will."""

    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, *args: str, check: bool = True) -> None:
        """Run ``pg_ctl`` on this cluster, waiting for it to finish."""
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        log = str(self.data.parent / "log")
        pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-o", options, "-l", log]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *pg_ctl, *args], check=check, capture_output=True
        )


@pytest.fixture
def server() -> Iterator[Server]:
    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.skip("needs PostgreSQL 15 binaries and runuser")
    # outside pytest's folders, which the postgres user may not enter
    folder = Path(tempfile.mkdtemp(prefix="assistant-pg-test-"))
    shutil.chown(folder, "postgres")
    initdb = [str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres"]
    subprocess.run(["runuser", "-u", "postgres", "--", *initdb], check=True, capture_output=True)
    cluster = Server(folder / "data", free_port())
    cluster.ctl("start")
    try:
        yield cluster
    finally:
        cluster.ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _contracts(folder: Path) -> list[Path]:
    folder.mkdir()
    files = []
    for i in range(FILES):
        path = folder / f"policy-{i:02d}.txt"
        path.write_text(
            "\n\n".join(
                f"Section {n} of the policy of insured party P{i:02d}X: premium {n * 17} EUR."
                for n in range(30)
            ),
            encoding="utf-8",
        )
        files.append(path)
    return files


def _slowed(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    real_parse = assistant.parse

    def parse(path: Path, on_page: PageProgress | None = None) -> tuple[str, ParsedDocument]:
        time.sleep(0.15)
        return real_parse(path, on_page)

    monkeypatch.setattr(assistant, "parse", parse)


def _wait_for_documents(url: str, count: int) -> None:
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                stored = connection.execute(select(func.count(Document.id))).scalar() or 0
            if stored >= count:
                return
            time.sleep(0.05)
        raise AssertionError("ingestion did not start")
    finally:
        engine.dispose()


def _ingest_while(
    server: Server,
    tmp_path: Path,
    files: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    server_action: str,
) -> tuple[Assistant, list[FileResult], list[BaseException]]:
    """Ingest ``files`` (slowly) and, once three documents are stored, ``pg_ctl`` the server
    with ``server_action``; returns the installation, the acknowledged files and the errors
    the ingestion raised."""
    assistant = make_assistant(tmp_path / "data", server.url)
    _slowed(assistant, monkeypatch)
    acknowledged: list[FileResult] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            assistant.ingest(files, collection="policies", on_file=acknowledged.append)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    _wait_for_documents(server.url, 3)
    server.ctl("-m", "fast", server_action)
    thread.join(timeout=120)
    assert not thread.is_alive(), "the ingestion did not end"
    return assistant, acknowledged, errors


def _assert_whole(assistant: Assistant, expected: set[str], files: list[Path]) -> None:
    chunks = {f.name: len(assistant.chunk(assistant.parse(f)[1])) for f in files}
    documents = {d.file_name: d for d in assistant.documents()}
    assert set(documents) == expected
    for name, doc in documents.items():
        assert doc.status == "ready" and doc.chunks == chunks[name], f"{name} is partial"
    assert assistant.check().consistent


def test_restart_mid_run_is_ridden_out(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _contracts(tmp_path / "corpus")
    assistant, acknowledged, errors = _ingest_while(server, tmp_path, files, monkeypatch, "restart")

    assert errors == []
    assert [r.outcome for r in acknowledged] == [Outcome.ADDED] * FILES
    _assert_whole(assistant, {f.name for f in files}, files)
    hits = assistant.search("insured party P07X premium", collections=["policies"], k=1)
    assert hits[0].chunk.file_name == "policy-07.txt"
    with assistant.sessions() as session:
        assert list(session.scalars(select(IngestionRun.status))) == [RunStatus.COMPLETED]
    assistant.engine.dispose()


def test_outage_longer_than_the_retries_stops_the_run_cleanly(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "RETRY_DELAYS_S", (0.2, 0.4))
    files = _contracts(tmp_path / "corpus")
    assistant, acknowledged, errors = _ingest_while(server, tmp_path, files, monkeypatch, "stop")
    [error] = errors
    assert isinstance(error, StorageUnavailableError)
    assert "database cannot be reached" in str(error)
    server.ctl("start")

    stored = {r.path.name for r in acknowledged}
    assert all(r.outcome == Outcome.ADDED for r in acknowledged) and len(stored) < FILES
    with assistant.sessions() as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    assistant.recover()
    _assert_whole(assistant, stored, files)
    resumed = assistant.ingest(files, collection="policies")
    assert sum(r.outcome == Outcome.ADDED for r in resumed.results) == FILES - len(stored)
    _assert_whole(assistant, {f.name for f in files}, files)
    with assistant.sessions() as session:
        runs = list(session.scalars(select(IngestionRun.status).order_by(IngestionRun.id)))
    assert runs == [RunStatus.INTERRUPTED, RunStatus.COMPLETED]
    assistant.engine.dispose()
