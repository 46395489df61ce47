from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.guard.fit_draft_prior import fit_shift, gap, judged_drafts, shifted


def test_an_over_confident_set_of_drafts_is_shifted_down_to_its_accuracy() -> None:
    drafts = [(f"q{i}", 0.6, i % 4 == 0) for i in range(40)]  # a quarter right at 0.6
    shift = fit_shift(drafts)
    assert shift < 0
    assert shifted(0.6, shift) == pytest.approx(0.25, abs=0.01)
    assert gap(drafts, shift) == pytest.approx(0.0, abs=0.01)
    assert gap(drafts, 0.0) == pytest.approx(0.35)


def test_only_drafts_the_calibrator_judged_are_taken(tmp_path: Path) -> None:
    rows = [
        {"uid": "a", "read_from_table": True, "read_from_span": False, "confidence": 0.9},
        {"uid": "b", "read_from_table": False, "read_from_span": True, "confidence": 0.8},
        {"uid": "c", "read_from_table": False, "read_from_span": False, "confidence": 0.0},
        {"uid": "d", "read_from_table": False, "read_from_span": False, "confidence": None},
        {
            "uid": "e",
            "read_from_table": False,
            "read_from_span": False,
            "confidence": 0.55,
            "judged_right": True,
        },
    ]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert judged_drafts(path) == [("e", 0.55, True)]
