"""First accounts: the first-start admin of ``assistant up`` and ``assistant create-admin``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.accounts import AccountError
from assistant.bootstrap import ADMIN_PASSWORD_ENV, ensure_first_admin, open_accounts
from assistant.cli import app
from assistant.scoped import CollectionAccess, ScopedAssistant
from assistant.service import Assistant
from assistant.settings import get_settings
from assistant.storage.models import Right, Role
from tests.unit.assistant.access_fakes import make_assistant


@pytest.fixture
def assistant(tmp_path: Path) -> Iterator[Assistant]:
    service = make_assistant(tmp_path / "data")
    yield service
    service.engine.dispose()


def test_first_start_creates_admin_with_a_random_password_once(
    assistant: Assistant, tmp_path: Path
) -> None:
    memo = tmp_path / "memo.txt"
    memo.write_text("A sample memo for the first collection of a new installation.")
    assistant.ingest([memo], collection="samples")

    first = ensure_first_admin(assistant, password=None, collection="samples")
    assert first is not None
    assert first.username == "admin"
    assert first.generated_password is not None
    assert len(first.generated_password) >= 12
    accounts = open_accounts(assistant)
    signed_in = accounts.authenticate("admin", first.generated_password)
    assert signed_in.role == Role.ADMIN
    assert signed_in.must_change_password
    admin = ScopedAssistant(assistant, accounts, "admin")
    assert admin.collections() == [CollectionAccess("samples", Right.EDITOR, can_grant=True)]
    assert admin.members("samples")[0].username == "admin"

    assert ensure_first_admin(assistant, password=None, collection="samples") is None
    assert accounts.count() == 1


def test_first_start_uses_the_given_password_and_checks_it(assistant: Assistant) -> None:
    with pytest.raises(AccountError):
        ensure_first_admin(assistant, password="short")
    first = ensure_first_admin(assistant, password="given by the operator", collection="none")
    assert first is not None
    assert first.generated_password is None
    admin = open_accounts(assistant).authenticate("admin", "given by the operator")
    assert admin.is_admin
    assert not admin.must_change_password


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cli-data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(folder))
    monkeypatch.delenv(ADMIN_PASSWORD_ENV, raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _accounts_in(folder: Path) -> Iterator[Assistant]:
    service = make_assistant(folder)
    yield service
    service.engine.dispose()


def test_create_admin_reads_the_password_from_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_PASSWORD_ENV, "from the environment")
    result = CliRunner().invoke(app, ["create-admin", "Boss"])
    assert result.exit_code == 0, result.output
    assert "administrator boss created" in result.output
    for service in _accounts_in(data_dir):
        assert open_accounts(service).authenticate("boss", "from the environment").is_admin


def test_create_admin_prompts_without_echo_and_refuses_weak_passwords(data_dir: Path) -> None:
    weak = CliRunner().invoke(app, ["create-admin", "boss"], input="short\nshort\n")
    assert weak.exit_code == 2
    assert "short" not in weak.output.replace("Password", "")
    typed = "typed at the prompt"
    result = CliRunner().invoke(app, ["create-admin", "boss"], input=f"{typed}\n{typed}\n")
    assert result.exit_code == 0, result.output
    assert typed not in result.output
    for service in _accounts_in(data_dir):
        assert open_accounts(service).authenticate("boss", typed).is_admin


def test_up_prints_the_first_admin_password_once_and_keeps_it_from_the_ui(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[dict[str, str]] = []

    def fake_call(command: list[str], env: dict[str, str]) -> int:
        launched.append(env)
        return 0

    monkeypatch.setattr("assistant.supervise.run_supervised", fake_call)
    first = CliRunner().invoke(app, ["up", "--no-samples"])
    assert first.exit_code == 0, first.output
    assert "must be replaced by one of your own at the first sign-in" in first.output
    password = first.output.strip().splitlines()[-1]
    for service in _accounts_in(data_dir):
        assert open_accounts(service).authenticate("admin", password).is_admin

    monkeypatch.setenv(ADMIN_PASSWORD_ENV, "not used any more")
    again = CliRunner().invoke(app, ["up", "--no-samples"])
    assert again.exit_code == 0
    assert password not in again.output
    assert "shown once" not in again.output
    assert ADMIN_PASSWORD_ENV not in launched[-1]
