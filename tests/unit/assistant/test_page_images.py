"""Page images for the source viewer: the original kept (pages drawn when shown) or, where the
collection may not keep originals, every page drawn at ingestion; printed page labels on the
passages; a page that cannot be drawn leaves the text; deleted documents leave nothing; and
only readers of the collection see a page, each view audited."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.constants import PageLabelStyle
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import delete

from assistant import page_store
from assistant.audit import AuditAction, AuditQuery
from assistant.collection_settings import keep_originals
from assistant.page_store import ORIGINAL, page_file_name
from assistant.scoped import ScopedAssistant
from assistant.service import Assistant
from assistant.settings import IngestSettings, Settings
from assistant.storage.db import transaction
from assistant.storage.models import Collection, Right, Role
from assistant.storage.repository import NotFoundError
from ingest.errors import CorruptFileError
from tests.unit.assistant.access_fakes import make_accounts
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder

PASSWORD = "correct horse battery"
FACT = "The annual lantern inspection is carried out by Odalys Brenneke in the boathouse."


def write_handbook(path: Path, *, labelled: bool = True) -> Path:
    """Three pages printed as i, 46 and 47; the inspection is on the last one."""
    plain = path.with_suffix(".plain.pdf")
    pdf = canvas.Canvas(str(plain), pagesize=A4)
    for lines in (
        ["Harbour Lantern Cooperative: member handbook."],
        ["Members meet on the first Monday of each month in the boathouse."],
        ["Inspections.", FACT],
    ):
        for row, line in enumerate(lines):
            pdf.drawString(72, 780 - 20 * row, line)
        pdf.showPage()
    pdf.save()
    if not labelled:
        plain.rename(path)
        return path
    writer = PdfWriter(clone_from=str(plain))
    writer.set_page_label(0, 0, PageLabelStyle.LOWERCASE_ROMAN, start=1)
    writer.set_page_label(1, 2, PageLabelStyle.DECIMAL, start=46)
    writer.write(str(path))
    return path


@pytest.fixture
def assistant(tmp_path: Path) -> Iterator[Assistant]:
    """An installation where the collection "clinical" may not keep originals."""
    settings = Settings(
        data_dir=tmp_path / "data",
        ingest=IngestSettings(collection_keep_originals={"clinical": False}),
    )
    service = Assistant(settings, embedder=HashingEmbedder(), generator=ScriptedGenerator(["[1]."]))
    yield service
    service.engine.dispose()


def ingest(assistant: Assistant, path: Path, collection: str) -> int:
    [result] = assistant.ingest([path], collection=collection).results
    assert result.document_id is not None, result.error
    return result.document_id


def width(png: bytes | None) -> int:
    assert png is not None
    return Image.open(io.BytesIO(png)).size[0]


def test_keeping_originals_is_the_collections_own_setting_else_the_installations() -> None:
    settings = IngestSettings(keep_originals=False, collection_keep_originals={"legal": True})
    assert keep_originals(settings, "legal") is True
    assert keep_originals(settings, "clinical") is False
    assert keep_originals(IngestSettings(), "anything") is True


def test_passages_say_the_printed_page_and_hold_their_boxes(
    assistant: Assistant, tmp_path: Path
) -> None:
    document = ingest(assistant, write_handbook(tmp_path / "handbook.pdf"), "harbour")
    chunks = {chunk.page: chunk for chunk in assistant.chunks_of(document)}
    assert chunks[1].location == "page i (PDF page 1)"
    assert chunks[3].location == "page 47 (PDF page 3)"
    assert [box.text for box in chunks[3].boxes] == ["Inspections.", FACT]
    assert all(0 < box.x0 < box.x1 < 1 and 0 < box.top < box.bottom < 1 for box in chunks[3].boxes)
    unlabelled = ingest(
        assistant, write_handbook(tmp_path / "plain.pdf", labelled=False), "harbour"
    )
    assert {chunk.location for chunk in assistant.chunks_of(unlabelled)} == {
        "page 1",
        "page 2",
        "page 3",
    }


def test_a_kept_original_is_drawn_when_a_page_is_shown(
    assistant: Assistant, tmp_path: Path
) -> None:
    document = ingest(assistant, write_handbook(tmp_path / "handbook.pdf"), "harbour")
    folder = assistant.settings.pages_dir / str(document)
    assert sorted(p.name for p in folder.iterdir()) == [ORIGINAL]
    page = assistant.page_image(document, 3)
    assert (page.number, page.page_count, page.label, page.unavailable) == (3, 3, "47", None)
    assert width(page.png) == page_store.PAGE_WIDTH_PX
    with pytest.raises(NotFoundError, match="has no page 4"):
        assistant.page_image(document, 4)


def test_without_originals_every_page_is_drawn_at_ingestion_and_only_images_are_kept(
    assistant: Assistant, tmp_path: Path
) -> None:
    document = ingest(assistant, write_handbook(tmp_path / "handbook.pdf"), "clinical")
    folder = assistant.settings.pages_dir / str(document)
    assert sorted(p.name for p in folder.iterdir()) == [page_file_name(n) for n in (1, 2, 3)]
    assert width(assistant.page_image(document, 2).png) == page_store.PAGE_WIDTH_PX


def test_a_pdf_whose_pages_cannot_be_drawn_is_ingested_and_its_viewer_says_so(
    assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_draw(path: Path, **_: object) -> Iterator[tuple[int, bytes]]:
        raise CorruptFileError(f"Page 1 of {path.name} could not be drawn: bad stream")
        yield  # pragma: no cover - a generator, as the real one

    monkeypatch.setattr(page_store, "render_pages", cannot_draw)
    document = ingest(assistant, write_handbook(tmp_path / "handbook.pdf"), "clinical")
    assert FACT in " ".join(chunk.text for chunk in assistant.chunks_of(document))
    page = assistant.page_image(document, 3)
    assert page.png is None
    assert page.unavailable is not None and "unavailable" in page.unavailable
    assert not (assistant.settings.pages_dir / str(document)).exists()


def test_an_original_that_went_missing_gives_an_unavailable_page(
    assistant: Assistant, tmp_path: Path
) -> None:
    document = ingest(assistant, write_handbook(tmp_path / "handbook.pdf"), "harbour")
    (assistant.settings.pages_dir / str(document) / ORIGINAL).write_bytes(b"%PDF-1.4 damaged")
    page = assistant.page_image(document, 1)
    assert page.png is None and page.unavailable


def test_documents_without_pages_have_no_page_image(assistant: Assistant, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe keeper lights the lanterns at dusk.\n", encoding="utf-8")
    document = ingest(assistant, notes, "harbour")
    assert not (assistant.settings.pages_dir / str(document)).exists()
    with pytest.raises(NotFoundError):
        assistant.page_image(document, 1)


def test_deleting_a_document_or_its_collection_removes_its_page_images(
    assistant: Assistant, tmp_path: Path
) -> None:
    kept = ingest(assistant, write_handbook(tmp_path / "handbook.pdf"), "harbour")
    drawn = ingest(assistant, write_handbook(tmp_path / "drawn.pdf"), "clinical")
    pages = assistant.settings.pages_dir
    assistant.delete_document(collection="harbour", file_name="handbook.pdf")
    assert not (pages / str(kept)).exists()
    assert (pages / str(drawn)).is_dir()
    with transaction(assistant.sessions) as session:
        session.execute(delete(Collection).where(Collection.name == "clinical"))
    assistant.recover()
    assert not (pages / str(drawn)).exists()


def test_a_new_version_replaces_the_page_images_of_the_old(
    assistant: Assistant, tmp_path: Path
) -> None:
    path = write_handbook(tmp_path / "handbook.pdf")
    document = ingest(assistant, path, "clinical")
    shorter = canvas.Canvas(str(tmp_path / "short.pdf"), pagesize=A4)
    shorter.drawString(72, 780, FACT)
    shorter.showPage()
    shorter.save()
    shutil.copyfile(tmp_path / "short.pdf", path)
    assert ingest(assistant, path, "clinical") == document
    folder = assistant.settings.pages_dir / str(document)
    assert sorted(p.name for p in folder.iterdir()) == [page_file_name(1)]


def test_only_readers_of_the_collection_see_a_page_and_each_view_is_audited(
    assistant: Assistant, tmp_path: Path
) -> None:
    document = ingest(assistant, write_handbook(tmp_path / "handbook.pdf"), "harbour")
    accounts = make_accounts(assistant)
    accounts.create_user("root", PASSWORD, Role.ADMIN)
    for name in ("alice", "dave"):
        accounts.create_user(name, PASSWORD, Role.VIEWER)
    ScopedAssistant(assistant, accounts, "root").grant("harbour", "alice", Right.VIEWER)

    page = ScopedAssistant(assistant, accounts, "alice").page_image(document, 2)
    assert page.label == "46" and page.png
    with pytest.raises(NotFoundError, match=f"no document with id {document}$"):
        ScopedAssistant(assistant, accounts, "dave").page_image(document, 2)
    with pytest.raises(NotFoundError, match="no document with id 999"):
        ScopedAssistant(assistant, accounts, "alice").page_image(999, 1)
    events = [
        (e.username, e.action, e.collection, e.detail)
        for e in reversed(accounts.audit.query(AuditQuery()))
        if e.action in (AuditAction.VIEW_PAGE, AuditAction.DENIED)
    ]
    assert events == [
        ("alice", AuditAction.VIEW_PAGE, "harbour", "handbook.pdf p. 2"),
        ("dave", AuditAction.DENIED, None, f"view page of document {document}"),
        ("alice", AuditAction.DENIED, None, "view page of document 999"),
    ]
