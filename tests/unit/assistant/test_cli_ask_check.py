"""`assistant ask` shows the reasons behind the confidence under it, and for a withheld answer
why it was withheld before the best passages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import cli
from assistant.answering import Answer
from assistant.generation.prompt import ABSTENTION
from assistant.service import Assistant
from assistant.settings import Settings, StorageSettings
from assistant.verdict import AnswerCheck, SentenceVerdict
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder

SHOWN = (
    "Every sentence cites a passage, which raises the confidence.",
    "The passages cover 100% of the question's words, which raises the confidence.",
)
WITHHELD = (
    "The confidence (25%) is below the 50% these collections require, so the answer was withheld.",
    "60% of the answer's words appear in no passage, which lowers the confidence.",
)


def judging_guard(answer: Answer) -> Answer:
    """Shows answers with reasons, and withholds those that ask about a deposit."""
    if "deposit" in answer.question:
        check = AnswerCheck(0.25, 0.5, True, (), 0.01, reasons=WITHHELD)
        return replace(answer, text=ABSTENTION, sentences=(), abstained=True, check=check)
    check = AnswerCheck(0.9, 0.5, False, (SentenceVerdict(0.9, True),), 0.01, reasons=SHOWN)
    return replace(answer, check=check)


def words(*lines: str) -> str:
    """The text as a reader sees it, whatever the console's width: its words, each reason
    after its dash."""
    return " ".join(" ".join(lines).split())


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Assistant:
    settings = Settings(data_dir=tmp_path / "data", storage=StorageSettings(url=None))
    generator = ScriptedGenerator(["The rent is due on the first day [1]."])
    assistant = Assistant(
        settings, embedder=HashingEmbedder(), generator=generator, guards=(judging_guard,)
    )
    lease = tmp_path / "lease.txt"
    lease.write_text("The tenant pays the rent on the first day of every month.")
    assistant.ingest([lease], collection="c")
    monkeypatch.setattr(cli, "_service", lambda: assistant)
    return assistant


def test_the_reasons_follow_the_confidence(service: Assistant) -> None:
    result = CliRunner().invoke(cli.app, ["ask", "When is the rent due?", "-c", "c"])
    assert result.exit_code == 0, result.output
    shown = words(result.stdout)
    assert (
        words("Confidence 90% (calibrated chance it is right)", *(f"- {r}" for r in SHOWN)) in shown
    )


def test_a_withheld_answer_says_why_before_the_passages(service: Assistant) -> None:
    result = CliRunner().invoke(cli.app, ["ask", "Is the deposit returned?", "-c", "c"])
    assert result.exit_code == 0, result.output
    assert words(result.stderr) == words(
        "answer withheld because:", *(f"- {r}" for r in WITHHELD), "the best passages follow"
    )
    assert "lease.txt" in result.stdout
