from __future__ import annotations

import re

import pytest

from assistant.guard.facts import FactDetector
from assistant.guard.protocols import DetectionInput, SentenceToCheck
from training.guard.perturb import (
    EDIT_TYPES,
    Edit,
    max_length_change,
    perturb,
    perturb_all,
)

CONTRACT = (
    "This License Agreement is made on March 3, 2021 between Birch First Global Investments "
    "Inc. and Mount Knowledge Holdings Inc. The Licensee shall pay the Licensor a fee of "
    "$1,250,000 within thirty (30) days. Fees increased 12.5% in Q3 2023."
)


def assert_minimal(answer: str, edit: Edit, edit_type: str) -> None:
    """The edit changed only its span and stayed within the length budget."""
    assert edit.edit_type == edit_type
    assert edit.text != answer
    original = edit.original_span
    assert edit.text[: edit.span.start] == answer[: original.start]
    assert edit.text[edit.span.end :] == answer[original.end :]
    assert edit.length_change == len(edit.text) - len(answer)
    assert abs(edit.length_change) <= max_length_change(len(answer))


def changed(answer: str, edit: Edit) -> tuple[str, str]:
    return (
        answer[edit.original_span.start : edit.original_span.end],
        edit.text[edit.span.start : edit.span.end],
    )


def flagged_by_fact_checker(answer: str, evidence: tuple[str, ...]) -> bool:
    item = DetectionInput("q", (SentenceToCheck(answer, evidence),), ())
    return FactDetector().detect(item)[0].probability < 1.0


def test_length_budget_is_fifteen_percent_with_a_small_floor() -> None:
    assert max_length_change(200) == 30
    assert max_length_change(3) == 4


def test_every_type_applies_to_a_rich_answer() -> None:
    answer = "The Licensee shall pay $1,250,000 within thirty (30) days of March 3, 2021."
    edits = perturb_all(answer, (CONTRACT,), seed=1)
    assert set(edits) == set(EDIT_TYPES)
    for edit_type, edit in edits.items():
        assert edit is not None, edit_type
        assert_minimal(answer, edit, edit_type)


def test_same_seed_same_edit_and_seeds_vary_the_edit() -> None:
    answer = "Revenue was $1,496.5 million in 2019 and $1,202.9 million in 2018."
    evidence = ("Revenue | $1,496.5 | $1,202.9 | 2019 | 2018",)
    first = perturb(answer, evidence, "number", seed=3)
    assert first == perturb(answer, evidence, "number", seed=3)
    outcomes = {perturb(answer, evidence, "number", seed=s) for s in range(12)}
    assert len(outcomes) > 1


def test_number_edit_keeps_format_and_leaves_the_evidence() -> None:
    answer = "Revenue was $1,496.5 million."
    evidence = ("Revenue | $1,496.5 | $1,202.9",)
    for seed in range(20):
        edit = perturb(answer, evidence, "number", seed)
        assert edit is not None
        assert_minimal(answer, edit, "number")
        before, after = changed(answer, edit)
        assert re.fullmatch(r"\d,\d{3}\.\d", after), after
        assert after != before
        assert edit.length_change == 0
        assert flagged_by_fact_checker(edit.text, evidence)


def test_number_edit_never_picks_a_figure_stated_in_the_evidence() -> None:
    answer = "It sold 3 units."
    evidence = ("It sold 3 units, not 1, 2, 4, 5, 6, 7 or 8.",)
    for seed in range(10):
        edit = perturb(answer, evidence, "number", seed)
        assert edit is not None
        assert changed(answer, edit)[1] == "9"


def test_number_edit_needs_a_number() -> None:
    assert perturb("The clause survives termination.", ("text",), "number", 0) is None


def test_date_edit_moves_a_part_of_the_date() -> None:
    answer = "The agreement was signed on March 3, 2021."
    evidence = ("Signed on March 3, 2021.",)
    seen = set()
    for seed in range(30):
        edit = perturb(answer, evidence, "date", seed)
        assert edit is not None
        assert_minimal(answer, edit, "date")
        assert flagged_by_fact_checker(edit.text, evidence)
        seen.add(changed(answer, edit)[0])
    assert seen == {"March", "3", "2021"}


def test_date_edit_keeps_valid_days() -> None:
    answer = "Since July 31, 2019, nothing changed."
    for seed in range(40):
        edit = perturb(answer, ("Since July 31, 2019.",), "date", seed)
        assert edit is not None
        assert not re.search(r"(April|June|September|November|February) 31", edit.text)


def test_date_edit_of_a_bare_year_and_a_quarter() -> None:
    year = perturb("2019.", ("Profit | 2019 | 2018",), "date", 0)
    assert year is not None
    assert re.fullmatch(r"20\d\d\.", year.text)
    assert year.text not in {"2019.", "2018."}
    quarter = perturb("Growth peaked in Q3 2023.", ("Q3 2023 growth",), "date", 5)
    assert quarter is not None
    assert quarter.text != "Growth peaked in Q3 2023."


def test_party_edit_swaps_a_role_for_its_counterpart() -> None:
    answer = "The Licensee shall pay the fee."
    edit = perturb(answer, (CONTRACT,), "party", 0)
    assert edit is not None
    assert edit.text == "The Licensor shall pay the fee."


def test_party_edit_takes_another_name_from_the_evidence() -> None:
    answer = "The fee is owed by Mount Knowledge Holdings Inc. each month."
    edit = perturb(answer, (CONTRACT,), "party", 0)
    assert edit is not None
    assert_minimal(answer, edit, "party")
    assert changed(answer, edit)[1] == "Birch First Global Investments Inc."


def test_party_edit_falls_back_to_a_made_up_company() -> None:
    answer = "The fee is owed by Acme Widgets Inc. each month."
    edit = perturb(answer, ("The fee is owed by Acme Widgets Inc. each month.",), "party", 0)
    assert edit is not None
    new_name = changed(answer, edit)[1]
    assert new_name != "Acme Widgets Inc."
    assert new_name.endswith(("Inc.", "LLC", "Ltd.", "Corp."))


def test_party_edit_needs_a_party() -> None:
    assert perturb("the fee is due monthly.", (CONTRACT,), "party", 0) is None


@pytest.mark.parametrize(
    ("answer", "before", "after"),
    [
        ("Total assets were $1,496.5 million at year end.", "million", "billion"),
        ("The daily dose was 5 mg for all patients.", "mg", "g"),
        ("Payment is due within thirty (30) days of invoice.", "days", "months"),
        (
            "Across all reporting segments and after the one-off items listed in the notes, "
            "the operating margin widened by 2.5% over the year before.",
            "%",
            None,
        ),
    ],
)
def test_unit_edit(answer: str, before: str, after: str | None) -> None:
    edit = perturb(answer, ("unrelated evidence",), "unit", 0)
    assert edit is not None
    assert_minimal(answer, edit, "unit")
    assert changed(answer, edit)[0] == before
    if after is not None:
        assert changed(answer, edit)[1] == after
    else:
        assert "percentage points" in edit.text


def test_unit_edit_that_would_grow_the_answer_too_much_is_not_made() -> None:
    assert perturb("It rose 2.5%.", ("text",), "unit", 0) is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Yes.", "No."),
        ("No, the clause does not apply.", None),
        ("We do not sell your data.", "We do sell your data."),
        ("The fee doesn't cover travel.", "The fee does cover travel."),
        ("Sales increased in 2019.", "Sales decreased in 2019."),
        ("The Licensee shall pay monthly.", "The Licensee shall not pay monthly."),
        ("There was an increase in sales.", "There was a decrease in sales."),
    ],
)
def test_negation_edit(answer: str, expected: str | None) -> None:
    outcomes = {perturb(answer, ("text",), "negation", seed) for seed in range(8)}
    texts = {edit.text for edit in outcomes if edit is not None}
    assert texts
    for edit in outcomes:
        assert edit is not None
        assert_minimal(answer, edit, "negation")
    if expected is not None:
        assert expected in texts


def test_negation_does_not_stack_a_double_negative() -> None:
    answer = "No licence is hereby granted."
    texts = {
        edit.text
        for seed in range(10)
        if (edit := perturb(answer, ("text",), "negation", seed)) is not None
    }
    assert "No licence is not hereby granted." not in texts


def test_unknown_edit_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown edit type"):
        perturb("Yes.", ("text",), "tone", 0)


def test_inputs_are_left_unchanged() -> None:
    evidence = [CONTRACT]
    answer = "The Licensee shall pay $1,250,000."
    perturb_all(answer, evidence, seed=0)
    assert evidence == [CONTRACT]
