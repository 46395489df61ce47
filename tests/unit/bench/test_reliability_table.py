"""The reliability suite's table: rows per area and label, verdicts, and the README splice."""

from __future__ import annotations

from typing import Any

import pytest

from bench.reliability import END_MARK, START_MARK, CaseResult, splice, summarise, table


def case(area: str, label: str, outcome: str = "passed", inputs: int = 1) -> CaseResult:
    return CaseResult(area, label, outcome, inputs, 0.5)


LOAD: dict[str, Any] = {
    "users": 8,
    "questions_per_user": 3,
    "uploads": 10,
    "storage": "sqlite",
    "ask": {"requests": 24, "p50_s": 32.7, "p95_s": 59.4},
    "upload": {"requests": 10, "p95_s": 0.38},
    "errors": 0,
    "index_consistent": True,
    "uploaded_missing_from_listing": [],
}


def test_rows_group_cases_by_label_and_order_areas() -> None:
    rows = summarise(
        [
            case("access control", "api sweep"),
            case("faults", "kill during save"),
            case("faults", "kill during save", "skipped"),
            case("hostile input", "fuzz", inputs=300),
            case("faults", "full disk", "failed"),
        ]
    )
    assert [(r.area, r.label) for r in rows] == [
        ("faults", "kill during save"),
        ("faults", "full disk"),
        ("hostile input", "fuzz"),
        ("access control", "api sweep"),
    ]
    save, disk, fuzz, _ = rows
    assert (save.cases, save.passed, save.skipped, save.verdict) == (2, 1, 1, "held")
    assert disk.verdict == "**FAILED**"
    assert fuzz.inputs == 300


def test_a_row_whose_cases_were_all_skipped_is_not_called_held() -> None:
    [row] = summarise([case("faults", "postgres restart", "skipped")])
    assert row.verdict == "not run here"


def test_the_table_shows_load_first_and_counts_generated_inputs() -> None:
    rows = summarise([case("hostile input", "fuzz", inputs=300), case("faults", "kill")])
    lines = table(rows, LOAD).splitlines()
    assert lines[2].startswith("| load | 8 users asking 3 questions each")
    assert "p95 59.4 s" in lines[2] and lines[2].endswith("| held |")
    assert lines[3] == "| faults | kill | 1 | 1 passed, 0 failed | held |"
    assert lines[4] == "| hostile input | fuzz | 1 (300) | 1 passed, 0 failed | held |"


def test_load_with_errors_or_drift_fails() -> None:
    broken = {**LOAD, "errors": 2}
    assert table([], broken).splitlines()[2].endswith("| **FAILED** |")
    drifted = {**LOAD, "index_consistent": False}
    assert table([], drifted).splitlines()[2].endswith("| **FAILED** |")


def test_splice_replaces_only_the_marked_block() -> None:
    readme = f"intro\n{START_MARK}\nold table\n{END_MARK}\noutro\n"
    assert splice(readme, "new") == f"intro\n{START_MARK}\nnew\n{END_MARK}\noutro\n"
    with pytest.raises(ValueError, match="reliability"):
        splice("no markers here", "new")
