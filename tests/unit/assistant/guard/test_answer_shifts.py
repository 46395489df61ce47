from __future__ import annotations

from pathlib import Path

import pytest

from assistant.guard.answer_shifts import BUNDLED_SHIFTS, ConfidenceShifts


def test_a_shift_moves_the_logit_of_its_path_only() -> None:
    shifts = ConfidenceShifts(table=0.0, span=1.0, draft=-1.0)
    assert shifts.apply("table", 0.7) == pytest.approx(0.7)
    assert shifts.apply("span", 0.5) == pytest.approx(0.7311, abs=1e-4)
    assert shifts.apply("draft", 0.5) == pytest.approx(0.2689, abs=1e-4)
    assert shifts.apply("draft", 0.0) == 0.0 and shifts.apply("span", 1.0) == 1.0


def test_shifts_are_saved_and_loaded_with_their_notes(tmp_path: Path) -> None:
    path = tmp_path / "shifts.json"
    ConfidenceShifts(table=-0.2, span=-0.5, draft=-1.1).save(path, fitted_on={"table": 3})
    assert ConfidenceShifts.load(path) == ConfidenceShifts(table=-0.2, span=-0.5, draft=-1.1)
    assert isinstance(ConfidenceShifts.load(BUNDLED_SHIFTS), ConfidenceShifts)
