"""Uploads: each file gets its own outcome, and size limits are refused with a clear 413."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import JSON_BODY_LIMIT, create_app
from assistant.api.routes_documents import MAX_UPLOAD_FILES
from assistant.api.uploads import safe_file_name
from assistant.settings import IngestSettings
from tests.unit.api.conftest import Api, build_api

pytestmark = pytest.mark.reliability(
    "hostile input",
    "API uploads: empty, over-size, too many, unknown length, traversing names, full disk",
)

GOOD = b"Travel expenses are refunded within thirty days of the claim."
OTHER = b"# Parking\n\nStaff park in the north lot on weekdays."
BROKEN_PDF = b"%PDF-1.7\nthis is not really a PDF at all"

Upload = tuple[str, tuple[str, bytes, str]]


def upload(api: Api, user: str, collection: str, files: list[Upload]) -> dict[str, object]:
    response = api.call("POST", f"/v1/collections/{collection}/documents", user, files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def test_a_bad_file_fails_alone_and_the_others_are_ingested(api: Api) -> None:
    body = upload(
        api,
        "bob",
        "finance",
        [
            ("files", ("travel.txt", GOOD, "text/plain")),
            ("files", ("scan.pdf", BROKEN_PDF, "application/pdf")),
            ("files", ("parking.md", OTHER, "text/markdown")),
        ],
    )
    assert body["collection"] == "finance"
    files = body["files"]
    assert isinstance(files, list)
    assert [(f["file_name"], f["outcome"]) for f in files] == [
        ("travel.txt", "added"),
        ("scan.pdf", "failed"),
        ("parking.md", "added"),
    ]
    failed = files[1]
    assert failed["error"] and failed["error_code"]
    assert failed["chunks"] == 0
    assert all(f["error"] is None and f["chunks"] >= 1 for f in (files[0], files[2]))

    listed = api.call("GET", "/v1/collections/finance/documents", "bob").json()
    status = {d["file_name"]: (d["status"], d["error"]) for d in listed}
    assert status["travel.txt"] == ("ready", None)
    assert status["scan.pdf"][0] == "failed"
    assert status["scan.pdf"][1] == failed["error"]
    hits = api.call("POST", "/v1/search", "bob", json={"query": "north lot parking"}).json()
    assert hits["passages"][0]["file_name"] == "parking.md"


def test_the_same_file_again_is_unchanged_and_unusable_names_fail(api: Api) -> None:
    upload(api, "bob", "finance", [("files", ("travel.txt", GOOD, "text/plain"))])
    body = upload(
        api,
        "bob",
        "finance",
        [
            ("files", ("../../travel.txt", GOOD, "text/plain")),
            ("files", ("..", GOOD, "text/plain")),
        ],
    )
    files = body["files"]
    assert isinstance(files, list)
    assert [(f["file_name"], f["outcome"], f["error_code"]) for f in files] == [
        ("travel.txt", "unchanged", None),
        ("..", "failed", "file_name"),
    ]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("/etc/passwd", "passwd"),
        ("  notes.txt ", "notes.txt"),
        ("", None),
        ("..", None),
        ("bad\x00name.txt", None),
        ("line\nbreak.txt", None),
        ("x" * 256, None),
    ],
)
def test_safe_file_names(sent: str, kept: str | None) -> None:
    assert safe_file_name(sent) == kept


def test_uploads_need_a_collection_the_caller_may_edit(api: Api) -> None:
    files = [("files", ("travel.txt", GOOD, "text/plain"))]
    viewer = api.call("POST", "/v1/collections/hr/documents", "alice", files=files)
    assert viewer.status_code == 403
    missing = api.call("POST", "/v1/collections/nowhere/documents", "bob", files=files)
    assert missing.status_code == 404
    assert api.call("POST", "/v1/collections/finance/documents", "bob").status_code == 422


@pytest.fixture
def small_api(tmp_path: Path) -> Api:
    """The API of an installation that takes files of at most 2,000 bytes."""
    api = build_api(tmp_path)
    ingest = IngestSettings(max_file_mb=2000 / (1024 * 1024))
    api.assistant.settings = api.assistant.settings.model_copy(update={"ingest": ingest})
    api.client = TestClient(create_app(api.assistant, api.accounts, tokens=api.tokens))
    return api


def test_a_file_over_the_limit_is_refused_with_413_and_nothing_is_stored(small_api: Api) -> None:
    response = small_api.call(
        "POST",
        "/v1/collections/finance/documents",
        "bob",
        files=[
            ("files", ("small.txt", GOOD, "text/plain")),
            ("files", ("huge.txt", b"word " * 500, "text/plain")),
        ],
    )
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "'huge.txt' is larger than the limit" in detail
    assert "MB per file" in detail
    listed = small_api.call("GET", "/v1/collections/finance/documents", "bob").json()
    assert [d["file_name"] for d in listed] == ["budget.txt"]


def test_a_request_over_the_total_limit_is_refused_before_it_is_read(small_api: Api) -> None:
    big = b"x" * (3 * 1024 * 1024)
    response = small_api.call(
        "POST",
        "/v1/collections/finance/documents",
        "bob",
        files=[("files", ("big.txt", big, "text/plain"))],
    )
    assert response.status_code == 413
    assert "MB this endpoint accepts" in response.json()["detail"]


def test_json_bodies_are_limited_too(api: Api) -> None:
    padding = "x" * JSON_BODY_LIMIT
    response = api.call("POST", "/v1/search", "bob", json={"query": "a", "pad": padding})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request is larger than")


def test_too_many_files_in_one_request_are_refused(api: Api) -> None:
    files = [("files", (f"f{i}.txt", GOOD, "text/plain")) for i in range(MAX_UPLOAD_FILES + 1)]
    response = api.call("POST", "/v1/collections/finance/documents", "bob", files=files)
    assert response.status_code == 400
    assert str(MAX_UPLOAD_FILES) in response.json()["detail"]


def test_a_body_of_unknown_length_is_cut_off_at_the_limit(api: Api) -> None:
    def pieces() -> Iterator[bytes]:
        yield b'{"query": "'
        for _ in range(2 * JSON_BODY_LIMIT // 65536):
            yield b"x" * 65536
        yield b'"}'

    headers = {**api.headers("bob"), "Content-Type": "application/json"}
    response = api.client.post("/v1/search", headers=headers, content=pieces())
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request is larger than")


def test_a_full_disk_answers_503_with_the_reason_and_keeps_what_was_stored(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(api.assistant.index, "commit", full)
    before = api.call("GET", "/v1/collections/finance/documents", "bob").json()
    response = api.call(
        "POST",
        "/v1/collections/finance/documents",
        "bob",
        files=[("files", ("travel.txt", GOOD, "text/plain"))],
    )
    assert response.status_code == 503
    assert "disk" in response.json()["detail"] and "full" in response.json()["detail"]
    monkeypatch.undo()
    after = api.call("GET", "/v1/collections/finance/documents", "bob").json()
    assert [d["file_name"] for d in after] == [d["file_name"] for d in before] + ["travel.txt"]
