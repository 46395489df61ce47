"""Hostile uploads: damaged, truncated, padded or crafted files of every supported format.

Every file goes through the parse step the service uses (``Assistant.parse`` delegates to
``FileSteps.parse``). The promise under test: a file is either read, or refused with an
``IngestError`` whose message can be shown to the user; never a raw library exception, and
never a parse that runs past a wall-clock bound.
"""

from __future__ import annotations

import io
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.pdfgen import canvas

from assistant.ingestion.steps import FileSteps
from assistant.settings import IngestSettings
from ingest.errors import EmptyDocumentError, FileTooLargeError, IngestError, UnsafeArchiveError
from ingest.types import ParsedDocument
from tests.unit.assistant.access_fakes import make_assistant

pytestmark = pytest.mark.reliability(
    "hostile input",
    "mutated, empty and crafted files of every format, zip bomb, deep HTML, scripts",
)

PARSE_BOUND_S = 20.0
"""Far above what any of these small files needs; a parse still running by then is a hang."""
MAX_MUTATED_BYTES = 256 * 1024

STEPS = FileSteps(IngestSettings(), embedding_model=None)

_BODY = "Refunds are paid within thirty days of the request."


@cache
def pdf_seed() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Refund policy")
    page.drawString(72, 700, _BODY)
    page.showPage()
    page.save()
    return buffer.getvalue()


@cache
def docx_seed() -> bytes:
    document = docx.Document()
    document.add_heading("Refund policy", level=1)
    document.add_paragraph(_BODY)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


TEXT_SEEDS = {
    "html": f"<!doctype html><html><body><h1>Refund policy</h1><p>{_BODY}</p></body></html>",
    "md": f"# Refund policy\n\n{_BODY}\n\n- first item\n- second item\n",
    "txt": f"Refund policy\n\n{_BODY}\n",
    "csv": "name,days,note\nrefund,30,paid by transfer\nexchange,14,in store\n",
}


def seed(extension: str) -> bytes:
    if extension == "pdf":
        return pdf_seed()
    if extension == "docx":
        return docx_seed()
    return TEXT_SEEDS[extension].encode("utf-8")


@dataclass(frozen=True)
class Outcome:
    """What a bounded parse came to: a document or a project error, and how long it took."""

    document: ParsedDocument | None
    error: IngestError | None
    elapsed_s: float


def parse_bounded(path: Path) -> Outcome:
    """Parses ``path`` on a daemon thread; fails the test on a hang or a foreign exception."""
    result: list[ParsedDocument | BaseException] = []

    def work() -> None:
        try:
            result.append(STEPS.parse(path)[1])
        except BaseException as exc:  # handed to the test thread below
            result.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(PARSE_BOUND_S)
    elapsed = time.monotonic() - started
    if worker.is_alive():
        pytest.fail(f"parsing {path.name} did not finish within {PARSE_BOUND_S} s")
    (value,) = result
    if isinstance(value, IngestError):
        assert str(value).strip(), "an ingest error must carry a message for the user"
        return Outcome(None, value, elapsed)
    if isinstance(value, BaseException):
        raise AssertionError(
            f"parsing {path.name} raised {type(value).__name__}, not an IngestError"
        ) from value
    return Outcome(value, None, elapsed)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` after a few byte flips, cuts, insertions of random bytes or repetitions."""
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "repeat"]))
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "repeat" and data:
            piece = bytes(data[at : at + draw(st.integers(min_value=1, max_value=64))])
            times = min(
                draw(st.integers(min_value=2, max_value=50_000)), MAX_MUTATED_BYTES // len(piece)
            )
            data[at:at] = piece * times
        del data[MAX_MUTATED_BYTES:]
    return bytes(data)


FORMATS = ["pdf", "docx", "html", "md", "txt", "csv"]


@pytest.mark.parametrize("extension", FORMATS)
def test_unmodified_seeds_are_read(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"policy.{extension}"
    path.write_bytes(seed(extension))

    outcome = parse_bounded(path)

    assert outcome.document is not None
    text = " ".join(page.text for page in outcome.document.pages)
    assert ("thirty days" in text) or ("refund" in text)


@pytest.mark.parametrize("extension", FORMATS)
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(draw=st.data())
def test_mutated_files_are_read_or_refused_cleanly(extension: str, draw: st.DataObject) -> None:
    data = draw.draw(mutated(seed(extension)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"mutated.{extension}"
        path.write_bytes(data)
        parse_bounded(path)


@pytest.mark.parametrize("extension", FORMATS)
def test_an_empty_file_is_refused_as_empty(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"empty.{extension}"
    path.write_bytes(b"")

    outcome = parse_bounded(path)

    assert isinstance(outcome.error, EmptyDocumentError)


def test_deeply_nested_html_is_read_or_refused_in_bounded_time(tmp_path: Path) -> None:
    depth = 100_000
    path = tmp_path / "nested.html"
    path.write_text(
        "<html><body>" + "<div>" * depth + "deep text" + "</div>" * depth + "</body></html>",
        encoding="utf-8",
    )

    outcome = parse_bounded(path)

    if outcome.document is not None:
        assert "deep text" in " ".join(page.text for page in outcome.document.pages)


def test_a_docx_zip_bomb_is_refused_before_expansion(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    path.write_bytes(docx_seed())
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.bin", bytes(32 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024

    outcome = parse_bounded(path)

    assert isinstance(outcome.error, UnsafeArchiveError)
    assert "bomb.docx" in str(outcome.error)


def test_scripts_and_event_handlers_never_reach_the_text(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><script>stealCookies('head')</script></head><body>"
        '<p onclick="exfiltrate()" onmouseover="alert(1)">Visible refund rules.</p>'
        "<script type='text/javascript'>document.location='http://evil.example'</script>"
        "<img src=x onerror=\"alert('img')\"><noscript>noscript fallback</noscript>"
        "</body></html>",
        encoding="utf-8",
    )

    outcome = parse_bounded(path)

    assert outcome.document is not None
    text = " ".join(page.text for page in outcome.document.pages)
    assert "Visible refund rules." in text
    for hostile in ("stealCookies", "exfiltrate", "alert", "evil.example", "document.location"):
        assert hostile not in text


def test_a_traversing_path_stores_only_the_base_name(tmp_path: Path) -> None:
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "passwd.txt").write_text(_BODY, encoding="utf-8")
    nested = tmp_path / "uploads" / "inbox"
    nested.mkdir(parents=True)
    data_dir = tmp_path / "data"
    assistant = make_assistant(data_dir)
    before = {p for p in tmp_path.rglob("*") if data_dir not in p.parents and p != data_dir}
    try:
        report = assistant.ingest([nested / ".." / ".." / "etc" / "passwd.txt"], collection="x")
        stored = [info.file_name for info in assistant.documents()]
    finally:
        assistant.engine.dispose()
    after = {p for p in tmp_path.rglob("*") if data_dir not in p.parents and p != data_dir}

    assert [result.error for result in report.results] == [None]
    assert stored == ["passwd.txt"]
    assert after == before


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF whose object ``n`` (from 1) is ``objects[n - 1]``, with a correct cross-reference
    table; object 1 must be the catalog."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _page_objects(kids: bytes, count: int) -> list[bytes]:
    text = b"BT /F1 12 Tf 72 720 Td (Refunds are paid within thirty days.) Tj ET"
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def _page(number_of_parent: int = 2) -> bytes:
    return (
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>" % number_of_parent
    )


def test_a_pdf_with_a_huge_object_count_is_read_in_bounded_time(tmp_path: Path) -> None:
    filler = [b"<< /Filler %d >>" % n for n in range(300_000)]
    path = tmp_path / "objects.pdf"
    path.write_bytes(raw_pdf([*_page_objects(b"5 0 R", 1), _page(), *filler]))

    outcome = parse_bounded(path)

    assert outcome.document is not None
    assert "thirty days" in outcome.document.pages[0].text


def test_a_pdf_with_more_pages_than_the_limit_is_refused(tmp_path: Path) -> None:
    pages = 60_000
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    path = tmp_path / "pages.pdf"
    path.write_bytes(raw_pdf([*_page_objects(kids, pages), *([_page()] * pages)]))

    outcome = parse_bounded(path)

    assert isinstance(outcome.error, FileTooLargeError)
    assert "pages" in str(outcome.error)


def test_a_pdf_whose_page_tree_loops_is_read_or_refused_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "loop.pdf"
    objects = _page_objects(b"2 0 R 5 0 R", 2)
    path.write_bytes(raw_pdf([*objects, _page()]))

    outcome = parse_bounded(path)

    if outcome.document is not None:
        assert len(outcome.document.pages) <= 2
