"""The command line starts at once and its help reads like prose: no Python type tags, and no
paragraph broken where the source code wraps its docstring."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import typer
import typer.rich_utils
from typer.testing import CliRunner

from assistant.cli import app
from assistant.cli_help import ProseCommand, ProseGroup

HEAVY = (
    "torch",
    "transformers",
    "sentence_transformers",
    "faiss",
    "streamlit",
    "sqlalchemy",
    "ray",
    "fastapi",
    "numpy",
)
TYPE_TAG = re.compile(r"<\w[\w\[\], |]*>")


def _commands(
    command: typer.core.TyperGroup, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in command.commands.items():
        if isinstance(sub, typer.core.TyperGroup):
            yield from _commands(sub, (*path, name))
        else:
            yield (*path, name), sub


COMMANDS = list(_commands(typer.main.get_group(app)))


def test_the_command_line_imports_no_heavy_library() -> None:
    probe = f"import sys, assistant.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    shown = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=" ".join)
def test_help_has_no_type_tags_and_whole_paragraphs(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", 1000)  # one line per paragraph
    command = dict(COMMANDS)[path]
    assert isinstance(command, ProseCommand | ProseGroup)
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert TYPE_TAG.findall(result.output) == []
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    paragraphs = (command.help or "").split("\n\n")
    listed = getattr(command, "commands", {}).values()  # a group lists its commands' summaries
    paragraphs += [(sub.help or "").split("\n\n")[0] for sub in listed]
    for paragraph in paragraphs:
        joined = " ".join(paragraph.replace("`", "").split())
        assert any(joined in line for line in lines), joined
