"""An API over a real (SQLite, or PostgreSQL when configured) installation with model-free
fakes: hr and finance collections; alice reads hr, bob edits finance, dave has no grants."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from assistant.accounts import Accounts
from assistant.answering import AnswerGuard
from assistant.api.app import create_app
from assistant.api_tokens import ApiTokens
from assistant.scoped import ScopedAssistant
from assistant.service import Assistant
from assistant.settings import Settings, StorageSettings
from assistant.storage.models import Right, Role
from tests.unit.assistant.access_fakes import FakeClock, make_accounts
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder

PASSWORD = "correct horse battery"
HR_TEXT = "Salary bands and the annual bonus policy of the human resources department."
FINANCE_TEXT = "Confidential budget policy: the secret merger with Globex costs forty million."
SECRETS = ("budget", "Globex", "merger", "forty million", "budget.txt", "finance")
USERS = {"root": Role.ADMIN, "alice": Role.VIEWER, "bob": Role.EDITOR, "dave": Role.VIEWER}


@dataclass
class Api:
    client: TestClient
    assistant: Assistant
    accounts: Accounts
    tokens: ApiTokens
    clock: FakeClock
    folder: Path
    hr_doc: int = 0
    finance_doc: int = 0
    token: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token[username]}"}

    def call(self, method: str, path: str, username: str, **kwargs: Any) -> Response:
        return self.client.request(method, path, headers=self.headers(username), **kwargs)

    def file(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path


def build_api(
    data_dir: Path, database_url: str | None = None, guards: Sequence[AnswerGuard] | None = None
) -> Api:
    """The installation; ``guards`` check every answer (by default, as the settings say)."""
    settings = Settings(data_dir=data_dir / "data", storage=StorageSettings(url=database_url))
    assistant = Assistant(
        settings,
        embedder=HashingEmbedder(),
        generator=ScriptedGenerator(["From the passages ", "[1]."]),
        guards=guards,
    )
    clock = FakeClock()
    accounts = make_accounts(assistant, clock=clock)
    tokens = ApiTokens(assistant.sessions, audit=accounts.audit, clock=clock)
    folder = data_dir / "files"
    folder.mkdir()
    api = Api(
        TestClient(create_app(assistant, accounts, tokens=tokens)),
        assistant,
        accounts,
        tokens,
        clock,
        folder,
    )
    hr = assistant.ingest([api.file("salaries.txt", HR_TEXT)], collection="hr")
    finance = assistant.ingest([api.file("budget.txt", FINANCE_TEXT)], collection="finance")
    api.hr_doc = hr.results[0].document_id or 0
    api.finance_doc = finance.results[0].document_id or 0
    for name, role in USERS.items():
        accounts.create_user(name, PASSWORD, role)
        api.token[name] = tokens.create(name).token
    root = ScopedAssistant(assistant, accounts, "root")
    root.grant("hr", "alice", Right.VIEWER)
    root.grant("finance", "bob", Right.EDITOR)
    return api


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[Api]:
    built = build_api(tmp_path, database_url)
    yield built
    built.client.close()
    built.assistant.engine.dispose()
