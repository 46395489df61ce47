"""The command line: `assistant token create` prints a working token once, `assistant api`
serves the API of the configured installation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.api_tokens import ApiTokens
from assistant.audit import AuditAction, AuditQuery
from assistant.bootstrap import OPERATOR, open_accounts
from assistant.cli import app
from assistant.service import Assistant
from assistant.settings import get_settings
from assistant.storage.models import Role
from tests.unit.assistant.access_fakes import make_assistant

PASSWORD = "correct horse battery"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cli-data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(folder))
    get_settings.cache_clear()
    service = make_assistant(folder)
    open_accounts(service).create_user("carol", PASSWORD, Role.VIEWER)
    service.engine.dispose()
    yield folder
    get_settings.cache_clear()


def _installation(folder: Path) -> Iterator[Assistant]:
    service = make_assistant(folder)
    yield service
    service.engine.dispose()


def test_token_create_prints_the_token_alone_on_stdout(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["token", "create", "--user", "Carol", "--days", "7"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("da_")
    assert "\n" not in token
    assert "shown this once" in result.stderr
    for service in _installation(data_dir):
        accounts = open_accounts(service)
        tokens = ApiTokens(service.sessions, audit=accounts.audit)
        assert tokens.resolve(token) == "carol"
        [info] = tokens.list_tokens("carol")
        assert info.expires_at is not None
        assert info.prefix in result.stderr
        [event] = accounts.audit.query(AuditQuery(action=AuditAction.TOKEN_CREATED))
        assert event.username == OPERATOR
        assert token not in event.detail


def test_token_create_refuses_unknown_users_and_bad_lifetimes(data_dir: Path) -> None:
    unknown = CliRunner().invoke(app, ["token", "create", "--user", "nobody"])
    assert unknown.exit_code == 2
    assert "no user named" in unknown.stderr
    assert unknown.stdout == ""
    forever = CliRunner().invoke(app, ["token", "create", "--user", "carol", "--days", "0"])
    assert forever.exit_code == 2


def test_api_serves_the_configured_installation(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[tuple[FastAPI, dict[str, Any]]] = []
    warmed = threading.Event()

    def fake_run(application: FastAPI, **options: Any) -> None:
        served.append((application, options))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(Assistant, "start_up", lambda _assistant: warmed.set())
    result = CliRunner().invoke(app, ["api", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code == 0, result.output
    [(application, options)] = served
    assert (options["host"], options["port"]) == ("0.0.0.0", 8123)
    with TestClient(application) as client:
        assert client.get("/v1/health").json() == {"status": "ok"}
        assert client.get("/v1/me").status_code == 401
    assert warmed.wait(timeout=10)
