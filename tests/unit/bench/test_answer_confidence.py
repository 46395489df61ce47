from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.answer_confidence import figures_of, judged_answers


def _write(path: Path, records: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_judged_answers_take_their_domain_and_leave_out_unjudged_ones(tmp_path: Path) -> None:
    _write(
        tmp_path / "sample_answers_predictions.jsonl",
        [
            {"kind": "clause", "confidence": 0.8, "judged_right": True, "shown": True},
            {"kind": "unanswerable", "confidence": 0.6, "judged_right": False, "shown": True},
            {"kind": "clinical", "confidence": None, "judged_right": False, "shown": False},
        ],
    )
    _write(
        tmp_path / "tatqa_answers_predictions.jsonl",
        [{"kind": "arithmetic", "confidence": 0.3, "judged_right": True, "shown": False}],
    )
    answers = judged_answers(tmp_path)
    assert [a["domain"] for a in answers] == [
        "finance tables (TAT-QA held-out)",
        "legal clauses (samples)",
        "unanswerable (samples)",
    ]
    assert [a["right"] for a in answers] == [True, True, False]


def test_figures_count_confident_wrong_answers_shown_and_rank_by_confidence() -> None:
    answers = [
        {"confidence": 0.95, "right": False, "shown": True},
        {"confidence": 0.9, "right": True, "shown": True},
        {"confidence": 0.7, "right": True, "shown": True},
        {"confidence": 0.2, "right": False, "shown": False},
    ]
    found = figures_of(answers)
    assert found["judged"] == 4 and found["shown"] == 3
    assert found["wrong_shown_at_or_above_0.9"] == 1
    assert found["right_among_shown"] == pytest.approx(2 / 3)
    assert found["auroc"] == pytest.approx(0.5)


def test_a_prediction_file_without_judged_answers_is_refused(tmp_path: Path) -> None:
    _write(tmp_path / "sample_answers_predictions.jsonl", [{"kind": "clause", "confidence": 0.5}])
    with pytest.raises(SystemExit, match="run its benchmark again"):
        judged_answers(tmp_path)
