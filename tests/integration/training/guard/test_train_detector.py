"""Training the cross-encoder detector: only its adapter and head are saved, and the plug-in
loads them back and judges sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.guard.cross_encoder import HEAD_FILE, CrossEncoderDetector
from assistant.guard.factory import build_detectors
from assistant.guard.protocols import DetectionInput, SentenceToCheck
from assistant.settings import GuardSettings
from training.adapter_training import ADAPTER_FILES
from training.guard.detector_data import LabelledClaim
from training.guard.train_detector import DetectorTrainConfig, train

pytestmark = pytest.mark.integration

EVIDENCE = ("The notice period is ninety days and the fee is 4,500 euros.",)


def claims() -> list[LabelledClaim]:
    made = []
    for days, fee in [("ninety", "4,500"), ("thirty", "4,500"), ("ninety", "9,500")] * 4:
        supported = days == "ninety" and fee == "4,500"
        sentence = f"Notice is {days} days and the fee is {fee} euros."
        made.append(LabelledClaim("synthetic", "Terms?", sentence, EVIDENCE, supported))
    return made


def test_a_trained_adapter_is_saved_small_and_judges_sentences(tmp_path: Path) -> None:
    out = tmp_path / "detector"
    figures = train(claims(), out, DetectorTrainConfig(batch_size=4, epochs=1, threads=1))
    assert figures["steps"] == 3
    assert sorted(p.name for p in out.iterdir()) == sorted((*ADAPTER_FILES, HEAD_FILE))
    assert sum(p.stat().st_size for p in out.iterdir()) < 5_000_000
    detector = CrossEncoderDetector(out, threads=1)
    item = DetectionInput(
        "What are the terms?",
        (SentenceToCheck("Notice is ninety days.", EVIDENCE), SentenceToCheck("No fee.", ())),
        EVIDENCE,
    )
    verdicts = detector.detect(item)
    assert len(verdicts) == 2 and all(0.0 <= v.probability <= 1.0 for v in verdicts)
    configured = build_detectors(GuardSettings(detectors=["facts", "cross-encoder"], detector=out))
    assert [d.name for d in configured] == ["facts", "cross-encoder"]
