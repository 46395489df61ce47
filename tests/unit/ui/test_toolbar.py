"""The UI shows none of Streamlit's developer toolbar (its menu and "Deploy" button), however
it is started: by ``assistant up`` or by the image."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.bootstrap import ADMIN_PASSWORD_ENV
from assistant.cli import app

DOCKERFILE = Path(__file__).resolve().parents[3] / "Dockerfile"


def test_assistant_up_starts_the_ui_without_the_toolbar(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[list[str]] = []

    def fake_call(command: list[str], env: dict[str, str]) -> int:
        launched.append(command)
        return 0

    monkeypatch.delenv(ADMIN_PASSWORD_ENV, raising=False)
    monkeypatch.setattr("assistant.supervise.run_supervised", fake_call)
    result = CliRunner().invoke(app, ["up", "--no-samples"])
    assert result.exit_code == 0, result.output
    [command] = launched
    assert "--client.toolbarMode=minimal" in command


def test_the_image_starts_the_ui_without_the_toolbar() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^\s+STREAMLIT_CLIENT_TOOLBAR_MODE=minimal\b", text, flags=re.MULTILINE)
