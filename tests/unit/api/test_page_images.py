"""GET /v1/documents/{id}/pages/{n}.png: the page of a readable PDF as a PNG image; a document
the caller may not read answers exactly as a missing one, and so do a page it does not have
and a document without pages."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.unit.api.conftest import Api


def write_pdf(path: Path) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for line in ("Salary bands are reviewed every spring.", "Bonuses are paid in March."):
        pdf.drawString(72, 780, line)
        pdf.showPage()
    pdf.save()
    return path


def ingest_pdf(api: Api, collection: str) -> int:
    path = write_pdf(api.folder / f"{collection}-policy.pdf")
    [result] = api.assistant.ingest([path], collection=collection).results
    assert result.document_id is not None, result.error
    return result.document_id


def test_a_reader_gets_the_page_as_a_png_image(api: Api) -> None:
    document = ingest_pdf(api, "hr")
    response = api.call("GET", f"/v1/documents/{document}/pages/2.png", "alice")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "private, no-store"
    assert Image.open(io.BytesIO(response.content)).format == "PNG"
    chunks = api.call("GET", f"/v1/documents/{document}", "alice").json()["chunks"]
    assert [(c["page"], c["page_label"]) for c in chunks] == [(1, None), (2, None)]


def test_a_document_the_caller_cannot_read_answers_as_a_missing_one(api: Api) -> None:
    secret = ingest_pdf(api, "finance")
    hidden = api.call("GET", f"/v1/documents/{secret}/pages/1.png", "alice")
    missing = api.call("GET", "/v1/documents/999999/pages/1.png", "alice")
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json() == {"detail": f"no document with id {secret}"}
    assert missing.json() == {"detail": "no document with id 999999"}
    assert api.call("GET", f"/v1/documents/{secret}/pages/1.png", "bob").status_code == 200


def test_a_page_the_document_lacks_and_a_document_without_pages_answer_404(api: Api) -> None:
    document = ingest_pdf(api, "hr")
    beyond = api.call("GET", f"/v1/documents/{document}/pages/3.png", "alice")
    assert beyond.status_code == 404
    assert "has no page 3" in beyond.json()["detail"]
    text = api.call("GET", f"/v1/documents/{api.hr_doc}/pages/1.png", "alice")
    assert text.status_code == 404
    assert api.call("GET", f"/v1/documents/{document}/pages/0.png", "alice").status_code in (
        400,
        422,
    )


def test_a_page_whose_image_is_unavailable_answers_404_with_the_reason(api: Api) -> None:
    document = ingest_pdf(api, "hr")
    original = api.assistant.settings.pages_dir / str(document) / "original.pdf"
    original.write_bytes(b"%PDF-1.4 damaged")
    response = api.call("GET", f"/v1/documents/{document}/pages/1.png", "alice")
    assert response.status_code == 404
    assert "unavailable" in response.json()["detail"]
