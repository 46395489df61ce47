"""The ingest commands refuse paths that do not exist before touching any model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import get_settings


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("command", ["ingest", "ingest-ray"])
def test_only_missing_paths_means_nothing_to_ingest(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    result = CliRunner().invoke(app, [command, str(missing), "--collection", "x"])
    assert result.exit_code == 2
    shown = " ".join(result.output.split())  # the console wraps long lines
    assert f"{missing}: no such file or folder" in shown
    assert "nothing to ingest" in shown
    assert not (tmp_path / "data").exists()
