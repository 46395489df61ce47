"""The ingest commands refuse paths that do not exist before touching any model, and show a
file's progress on a terminal only."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from assistant import cli
from assistant.cli import app
from assistant.service import Assistant
from assistant.settings import get_settings
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder


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


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Assistant]:
    """The installation the commands open, with a model-free embedder."""
    assistant = Assistant(
        get_settings(), embedder=HashingEmbedder(), generator=ScriptedGenerator(["x"])
    )
    monkeypatch.setattr(cli, "_service", lambda: assistant)
    yield assistant
    assistant.engine.dispose()


def _notes(tmp_path: Path) -> Path:
    notes = tmp_path / "notes.txt"
    notes.write_text("The pump is serviced every spring.\n\nValves are checked monthly.")
    return notes


def test_piped_ingest_prints_one_line_per_file_and_no_progress(
    service: Assistant, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["ingest", str(_notes(tmp_path)), "--collection", "plant"])

    assert result.exit_code == 0, result.output
    assert "added notes.txt" in result.output
    for stage in ("parsing", "storing", "embedding", "indexed"):
        assert stage not in result.output
    (document,) = service.documents()
    assert document.status == "ready"


def test_ingest_on_a_terminal_shows_the_file_under_way(
    service: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=screen, force_terminal=True, width=120))
    result = CliRunner().invoke(app, ["ingest", str(_notes(tmp_path)), "--collection", "plant"])

    assert result.exit_code == 0, result.output
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())  # colours and cursor moves
    assert "notes.txt parsing: 1 of 1 pages" in shown
    assert "notes.txt embedding: 1 of 1 chunks" in shown
    assert "added notes.txt" in shown
