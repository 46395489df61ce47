"""A batch mixing good and bad files through the real parsers: each bad file fails alone with
a clear reason, the good ones are stored and searchable, and nothing stored is lost."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from assistant.ingestion.pipeline import Outcome
from assistant.service import Assistant
from assistant.settings import IngestSettings, Settings
from tests.unit.indexes.index_fakes import HashingEmbedder
from tests.unit.ingest.test_parsers import write_report_pdf

pytestmark = pytest.mark.reliability(
    "hostile input", "batches mixing good and bad files through the real parsers"
)


@pytest.fixture
def service(tmp_path: Path) -> Assistant:
    settings = Settings(data_dir=tmp_path / "data", ingest=IngestSettings(max_file_mb=1))
    return Assistant(settings, embedder=HashingEmbedder())


def bad_files(folder: Path) -> dict[str, str]:
    """Writes one file per kind of bad input; returns file name -> expected error code."""
    report = write_report_pdf(folder / "source.pdf")
    (folder / "truncated.pdf").write_bytes(report.read_bytes()[:600])
    writer = PdfWriter(clone_from=PdfReader(report))
    writer.encrypt(user_password="secret", owner_password="owner")
    with (folder / "locked.pdf").open("wb") as stream:
        writer.write(stream)
    report.unlink()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "huge.txt").write_text("word " * 300_000)
    with zipfile.ZipFile(folder / "bomb.docx", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
        z.writestr("word/media/padding.bin", bytes(8 * 1024 * 1024))
    (folder / "program.exe").write_bytes(bytes(range(256)) * 8)
    return {
        "truncated.pdf": "corrupt_file",
        "locked.pdf": "encrypted_file",
        "empty.txt": "empty_document",
        "huge.txt": "file_too_large",
        "bomb.docx": "unsafe_archive",
        "program.exe": "unsupported_format",
    }


def test_each_bad_file_fails_alone_and_the_rest_is_stored(
    service: Assistant, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    expected = bad_files(folder)
    (folder / "a_notes.md").write_text("# Notes\n\nThe indemnity cap is two million euros.\n")
    (folder / "z_memo.txt").write_text("The lease ends on 31 March 2031.\n")
    files = sorted(folder.iterdir())

    report = service.ingest(files, collection="c")

    outcomes = {r.path.name: r for r in report.results}
    assert outcomes["a_notes.md"].outcome == Outcome.ADDED
    assert outcomes["z_memo.txt"].outcome == Outcome.ADDED
    for name, code in expected.items():
        assert outcomes[name].outcome == Outcome.FAILED, name
        assert outcomes[name].error_code == code, (name, outcomes[name].error)
        assert name in (outcomes[name].error or ""), "the message names the file"
    listed = {d.file_name: d for d in service.documents(collections=["c"])}
    assert all(listed[name].status == "failed" and listed[name].error for name in expected)
    assert [
        p.chunk.file_name for p in service.search("lease ends", collections=["c"], k=1, mode="bm25")
    ] == ["z_memo.txt"]
    assert service.check().consistent


def test_a_bad_new_version_keeps_the_stored_document(service: Assistant, tmp_path: Path) -> None:
    doc = tmp_path / "policy.md"
    doc.write_text("# Policy\n\nRetention is seven years.\n")
    service.ingest([doc], collection="c")

    doc.write_bytes(b"")
    report = service.ingest([doc], collection="c")

    assert report.results[0].outcome == Outcome.FAILED
    [stored] = service.documents(collections=["c"])
    assert (stored.status, stored.version, stored.chunks) == ("ready", 1, 1)
    assert service.search("retention", collections=["c"], k=1, mode="bm25")
