"""Loading models from the command line: one line on a terminal and nothing when piped, no
progress bars from the model libraries, and the answer model converted ahead of time on
request."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from assistant import cli
from assistant.generation.model_cache import Prepared
from assistant.generation.model_files import ModelNotFoundError
from assistant.quiet_loading import QUIET_ENVIRONMENT, quiet_model_libraries
from assistant.service import Assistant
from assistant.settings import Settings, StorageSettings, get_settings
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    for name in QUIET_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)  # restored after the test
    settings = Settings(data_dir=tmp_path / "data", storage=StorageSettings(url=None))
    generator = ScriptedGenerator(["The rent is due on the first day [1]."])
    assistant = Assistant(settings, embedder=HashingEmbedder(), generator=generator, guards=())
    lease = tmp_path / "lease.txt"
    lease.write_text("The tenant pays the rent on the first day of every month.")
    assistant.ingest([lease], collection="c")
    monkeypatch.setattr(cli, "_service", lambda: assistant)
    return assistant


def test_a_piped_ask_says_nothing_on_stderr(service: Assistant) -> None:
    result = CliRunner().invoke(cli.app, ["ask", "When is the rent due?", "-c", "c"])
    assert result.exit_code == 0, result.output
    assert "The rent is due on the first day" in result.stdout
    assert result.stderr == ""


def test_on_a_terminal_loading_is_one_line_that_goes(
    service: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(cli, "errors", Console(file=screen, force_terminal=True, width=80))
    monkeypatch.setattr(service.index, "warm_up", lambda: time.sleep(0.5))  # long enough to draw
    result = CliRunner().invoke(cli.app, ["ask", "When is the rent due?", "-c", "c"])
    assert result.exit_code == 0, result.output
    drawn = screen.getvalue()
    assert "loading the search model..." in drawn
    assert drawn.count("\n") == 1  # one line, redrawn in place
    assert drawn.endswith("\x1b[2K")  # and erased once the models are loaded


def test_the_model_libraries_draw_no_progress_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub.utils import are_progress_bars_disabled, enable_progress_bars
    from transformers.utils import logging

    for name in QUIET_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TQDM_DISABLE", "0")  # a choice of the user's own is kept
    try:
        quiet_model_libraries()
        assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
        assert os.environ["TQDM_DISABLE"] == "0"
        assert not logging.is_progress_bar_enabled()
        assert are_progress_bars_disabled()
    finally:
        logging.enable_progress_bar()
        enable_progress_bars()


class FakeGenerator:
    def __init__(self, folder: Path, converted: bool) -> None:
        self.result = Prepared(folder, converted=converted)

    def prepare(self) -> Prepared:
        return self.result


@pytest.mark.parametrize(("converted", "said"), [(True, "converted into"), (False, "already")])
def test_prepare_models_converts_the_answer_model_ahead_of_time(
    converted: bool, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.generation import factory

    for name in QUIET_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "model-cache" / "generator-1"
    monkeypatch.setattr(factory, "build_generator", lambda s: FakeGenerator(folder, converted))
    result = CliRunner().invoke(cli.app, ["prepare-models"])
    assert result.exit_code == 0, result.output
    assert said in result.stdout
    assert str(folder) in result.stdout  # whole, to copy
    assert result.stderr == ""


def test_prepare_models_exports_the_span_reader_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.generation import factory
    from assistant.reading import span_export

    monkeypatch.setenv("ASSISTANT_GENERATION__SPAN_READER", "true")
    get_settings.cache_clear()
    folder = tmp_path / "model-cache" / "span-reader-1"
    asked: list[Path] = []

    def fake_export(adapter: Path, cache_dir: Path) -> Prepared:
        asked.append(cache_dir)
        return Prepared(folder, converted=True)

    monkeypatch.setattr(factory, "build_generator", lambda s: FakeGenerator(tmp_path / "g", True))
    monkeypatch.setattr(span_export, "prepare_span_export", fake_export)
    result = CliRunner().invoke(cli.app, ["prepare-models"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"span reader exported into {folder}" in result.stdout
    assert len(asked) == 1


def _background_loads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "answer-model"]


@pytest.mark.parametrize("checked", [True, False])
def test_an_ask_loads_the_answer_model_while_it_reads_the_passages(
    service: Assistant, checked: bool
) -> None:
    service.guards = (lambda answer: answer,) if checked else ()  # unchecked: streamed
    result = CliRunner().invoke(cli.app, ["ask", "When is the rent due?", "-c", "c"])
    assert result.exit_code == 0, result.output
    for thread in _background_loads():
        thread.join(timeout=10)
    assert isinstance(service.generator, ScriptedGenerator)
    assert service.generator.warmed
    assert "The rent is due on the first day" in result.stdout


def test_a_failed_background_load_is_reported_by_the_draft_that_needs_the_model(
    service: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*args: object, **kwargs: object) -> None:
        raise ModelNotFoundError("no answer model at /nowhere")

    monkeypatch.setattr(service.generator, "warm_up", missing)
    monkeypatch.setattr(service.generator, "stream", missing)
    result = CliRunner().invoke(cli.app, ["ask", "When is the rent due?", "-c", "c"])
    for thread in _background_loads():
        thread.join(timeout=10)
    assert result.exit_code == 2
    assert "no answer model at /nowhere" in result.stderr
