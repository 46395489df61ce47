from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.guard.fit_answer_shifts import fit_shift, gap, judged_answers, shifted


def test_an_over_confident_set_of_answers_is_shifted_down_to_its_accuracy() -> None:
    answers = [(f"q{i}", 0.6, i % 4 == 0) for i in range(40)]  # a quarter right at 0.6
    shift = fit_shift(answers)
    assert shift < 0
    assert shifted(0.6, shift) == pytest.approx(0.25, abs=0.01)
    assert gap(answers, shift) == pytest.approx(0.0, abs=0.01)
    assert gap(answers, 0.0) == pytest.approx(0.35)


def test_answers_are_grouped_by_path_and_those_without_a_calibrated_confidence_left_out(
    tmp_path: Path,
) -> None:
    def row(uid: str, table: bool, span: bool, confidence: float | None) -> dict[str, object]:
        return {
            "uid": uid,
            "read_from_table": table,
            "read_from_span": span,
            "confidence": confidence,
            "judged_right": uid == "a",
        }

    rows = [
        row("a", True, False, 0.9),
        row("b", False, True, 0.8),
        row("c", False, False, 0.0),
        row("d", False, False, None),
        row("e", False, False, 0.55),
    ]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert judged_answers(path) == {
        "table": [("a", 0.9, True)],
        "span": [("b", 0.8, False)],
        "draft": [("e", 0.55, False)],
    }
