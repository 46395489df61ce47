"""The bundled calibrator and default detectors check real answers end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.guard.calibrator import Calibrator
from assistant.guard.factory import build_checker
from assistant.guard.facts import FactDetector
from assistant.guard.phrases import PhraseDetector
from assistant.service import Assistant
from assistant.settings import GuardSettings, Settings
from indexes.embedder import SentenceTransformerEmbedder
from tests.unit.assistant.generation.fakes import ScriptedGenerator

pytestmark = pytest.mark.integration


def test_the_default_settings_build_a_checker_from_the_bundled_files() -> None:
    checker = build_checker(GuardSettings())
    assert [type(d) for d in checker.detectors] == [FactDetector, PhraseDetector]
    assert Calibrator.load().fitted_on > 100
    checker.warm_up()


def ask(tmp_path: Path, embedder: SentenceTransformerEmbedder, answer: str) -> Assistant:
    """A service over one lease whose drafts are ``answer``; the span reader is off, so every
    answer is the draft the check judges."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lease.md").write_text(
        "# Lease\n\nThe tenant pays a deposit of 2,400 euros before moving in. "
        "The landlord returns it within 30 days after the lease ends.\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data")
    settings.generation.span_reader = False
    service = Assistant(
        settings,
        embedder=embedder,
        generator=ScriptedGenerator([answer]),
    )
    service.ingest([folder / "lease.md"], collection="leases")
    return service


ANSWER = (
    "The deposit is 2,400 euros [1]. It is returned on 3 March 2026 [1]. "
    "It is returned in 45 days [1]."
)


def test_every_answer_carries_a_calibrated_check(
    tmp_path: Path, minilm: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_GUARD__ENABLED", "true")
    monkeypatch.setenv("ASSISTANT_GUARD__THRESHOLD", "0")
    service = ask(tmp_path, minilm, ANSWER)
    answer = service.ask("How much is the deposit?", collections=["leases"])
    assert answer.check is not None and answer.check.confidence is not None
    assert 0.0 < answer.check.confidence < 1.0 and not answer.check.withheld
    first, second = answer.check.sentences
    assert first.supported
    assert not second.supported and any("2026" in r for r in second.reasons)
    # A figure in no passage and not computed takes its sentence out, with the reason.
    assert [s.text for s in answer.sentences] == [
        "The deposit is 2,400 euros.",
        "It is returned on 3 March 2026.",
    ]
    [removed] = answer.check.removed
    assert "It is returned in 45 days." in removed and "45" in removed


def test_a_collection_threshold_withholds_and_keeps_the_evidence(
    tmp_path: Path, minilm: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_GUARD__ENABLED", "true")
    monkeypatch.setenv("ASSISTANT_GUARD__COLLECTION_THRESHOLDS", '{"leases": 1.0}')
    answer = ask(tmp_path, minilm, ANSWER).ask("How much is the deposit?", collections=["leases"])
    assert answer.check is not None and answer.check.withheld and answer.check.threshold == 1.0
    assert answer.abstained and answer.sentences == ()
    assert answer.passages and "2,400 euros" in answer.passages[0].chunk.text
