"""The API served by uvicorn on a local port over PostgreSQL, with MiniLM and the real
generator: upload a document over HTTP, then search it and ask about it in other words."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.api.app import create_app
from assistant.api_tokens import ApiTokens
from assistant.bootstrap import open_accounts
from assistant.generation.base import Generator
from assistant.generation.factory import build_generator
from assistant.generation.model_files import ModelNotFoundError, packaged_model_file
from assistant.service import Assistant
from assistant.settings import GenerationSettings, Settings, StorageSettings
from assistant.storage.models import Role
from indexes.embedder import SentenceTransformerEmbedder
from tests.conftest import POSTGRES_ENV, _postgres_database
from tests.network import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"needs {POSTGRES_ENV}"),
]

LEAVE_POLICY = """# Leave policy

## Parental leave

Employees who become parents may take sixteen weeks of paid parental leave within the first
year after the birth or adoption. The leave can be split into at most two blocks.

## Sick leave

Sick days beyond three in a row need a note from a doctor.
"""
QUESTION = "How many weeks of paid leave does a new mother or father get?"


@pytest.fixture(scope="module")
def generator() -> Generator:
    try:
        packaged_model_file()
    except ModelNotFoundError as exc:
        pytest.skip(str(exc))
    return build_generator(GenerationSettings())


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture
def server(
    tmp_path: Path,
    postgres_url: str,
    minilm: SentenceTransformerEmbedder,
    generator: Generator,
) -> Iterator[tuple[str, str]]:
    """The API's base URL and an editor's token."""
    settings = Settings(
        data_dir=tmp_path / "data",
        storage=StorageSettings(url=postgres_url),
        generation=GenerationSettings(max_new_tokens=40),
    )
    assistant = Assistant(settings, embedder=minilm, generator=generator, guards=())
    accounts = open_accounts(assistant)
    accounts.create_user("erin", "correct horse battery", Role.EDITOR)
    token = ApiTokens(assistant.sessions, audit=accounts.audit).create("erin").token
    port = free_port()
    config = uvicorn.Config(
        create_app(assistant, accounts), host="127.0.0.1", port=port, log_level="warning"
    )
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, name="api-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the API server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", token
    uvicorn_server.should_exit = True
    thread.join(timeout=30)
    assistant.engine.dispose()


def test_upload_search_and_ask_over_http(server: tuple[str, str], tmp_path: Path) -> None:
    base_url, token = server
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        assert httpx.get(f"{base_url}/v1/health").json() == {"status": "ok"}
        assert httpx.get(f"{base_url}/v1/me").status_code == 401
        assert client.post("/v1/collections", json={"name": "handbook"}).status_code == 201

        uploaded = client.post(
            "/v1/collections/handbook/documents",
            files=[
                ("files", ("leave.md", LEAVE_POLICY.encode(), "text/markdown")),
                ("files", ("scan.pdf", b"%PDF-1.4 not really", "application/pdf")),
            ],
        )
        assert uploaded.status_code == 200, uploaded.text
        outcomes = {f["file_name"]: f for f in uploaded.json()["files"]}
        assert outcomes["leave.md"]["outcome"] == "added"
        assert outcomes["scan.pdf"]["outcome"] == "failed"
        document_id = outcomes["leave.md"]["document_id"]
        opened = client.get(f"/v1/documents/{document_id}").json()
        assert opened["document"]["status"] == "ready"
        assert "sixteen weeks" in " ".join(c["text"] for c in opened["chunks"])

        hits = client.post("/v1/search", json={"query": QUESTION, "k": 3}).json()["passages"]
        assert hits[0]["file_name"] == "leave.md"
        assert "sixteen weeks" in hits[0]["text"]

        # PostgreSQL cannot store NUL in text: it must be refused, not crash the server
        assert client.post("/v1/search", json={"query": "a\x00b"}).status_code == 422

        events = []
        request = {"question": QUESTION, "collections": ["handbook"], "stream": True}
        with client.stream("POST", "/v1/ask", json=request) as response:
            assert response.headers["content-type"].startswith("application/x-ndjson")
            events = [json.loads(line) for line in response.iter_lines() if line]
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "answer", events[-1]
    assert kinds.count("token") >= 1
    answer = events[-1]["answer"]
    assert answer["passages"][0]["file_name"] == "leave.md"
    assert answer["timings"]["first_token_s"] <= answer["timings"]["total_s"]
    drafted = "".join(e["text"] for e in events if e["type"] == "token").strip()
    assert drafted
    assert answer["abstained"] or answer["sentences"]
