"""How the sample-question benchmark scores an answer, and the question set's own shape."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from assistant.samples import sample_files
from bench.sample_answers import (
    KINDS,
    Outcome,
    Question,
    is_right,
    load_questions,
    normalise,
    stated_value,
    summary,
    table_rows,
    value_matches,
)


def _numeric(value: str, question: str = "What was total revenue in FY2025?") -> Question:
    return Question("q", question, "lookup", "report.md", value, (), "")


def _text(*phrases: str) -> Question:
    return Question("q", "How much notice?", "clause", "nda.md", None, phrases, "")


def test_a_formula_states_the_result_after_its_last_equals_sign() -> None:
    answer = "The change in Operating income over FY2024 and FY2025: 180.3 - 138.8 = 41.5 [1]."
    assert stated_value(answer, "By how much did it change from FY2024 to FY2025?") == Decimal(
        "41.5"
    )


def test_without_a_formula_the_first_number_counts_skipping_years_the_question_names() -> None:
    question = "What was revenue in 2025?"
    assert stated_value("In 2025 revenue was 1,077.4 million [1].", question) == Decimal("1077.4")
    assert stated_value("In 2024 revenue was 952.6 [1].", question) == Decimal("2024")


def test_citation_marks_and_period_labels_are_not_numbers() -> None:
    answer = "[2] Revenue in FY2025-Q2 was 262.3 [2, 3]."
    assert stated_value(answer, "What was revenue in the second quarter of FY2025?") == Decimal(
        "262.3"
    )


def test_negative_values_read_with_a_minus_or_in_brackets() -> None:
    assert stated_value("The change was -1.5 [1].", "x") == Decimal("-1.5")
    assert stated_value("Capital expenditure was (99.4) [1].", "x") == Decimal("-99.4")
    assert stated_value("13.1 - 14.6 = -1.5", "x") == Decimal("-1.5")


def test_an_answer_without_a_number_states_none() -> None:
    assert stated_value("The documents do not say.", "What was revenue in FY2023?") is None


def test_values_match_after_rounding_to_the_golds_decimals() -> None:
    assert value_matches(Decimal("35.49"), "35.5")
    assert value_matches(Decimal("24"), "24.0")
    assert value_matches(Decimal("269.35"), "269.35")
    assert not value_matches(Decimal("269.4"), "269.35")
    assert not value_matches(Decimal("35.44"), "35.5")
    assert not value_matches(None, "1.0")


def test_a_gold_written_with_thousands_separators_is_accepted() -> None:
    assert value_matches(Decimal("1077.4"), "1,077.4")
    assert is_right(_numeric("1077.4"), "Total revenue was 1,077.4 in FY2025 (USD millions) [1].")


def test_numeric_gold_wants_the_stated_value_not_any_number_in_the_answer() -> None:
    answer = "Total revenue was 952.6 in FY2024 and 1,077.4 in FY2025 [1]."
    assert not is_right(_numeric("1077.4", "What was total revenue?"), answer)


def test_text_gold_needs_every_phrase_ignoring_case_and_spelled_out_numerals() -> None:
    assert is_right(_text("30 days"), "Thirty (30) days' prior written notice [1].")
    assert is_right(_text("36 months"), "The term is thirty-six (36) months [2].")
    assert is_right(_text("1.0%", "per month"), "Overdue amounts bear 1.0% per month [1].")
    assert not is_right(_text("1.0%", "per month"), "Overdue amounts bear 1.0% interest [1].")


def test_dashes_do_not_matter_in_phrases() -> None:
    assert normalise("Calcium–channel  Blocker") == "calcium channel blocker"
    assert is_right(_text("calcium-channel blocker"), "A calcium channel blocker (CCB) [1].")


def test_an_unanswerable_question_has_no_right_answer() -> None:
    question = Question("u", "What was revenue in FY2023?", "unanswerable", None, None, (), "")
    assert not is_right(question, "Revenue was 952.6 [1].")


def test_summary_counts_shown_right_and_withheld() -> None:
    outcomes = [
        Outcome("a", "lookup", True, True, True, 1.0),
        Outcome("b", "lookup", True, True, False, 2.0),
        Outcome("c", "lookup", True, False, False, 3.0),
        Outcome("u", "unanswerable", False, False, False, 4.0),
        Outcome("v", "unanswerable", False, True, False, 5.0),
    ]
    figures = summary(outcomes)
    assert figures["shown"] == 3
    assert figures["right_among_shown"] == 1
    assert (figures["answerable_shown"], figures["answerable"]) == (2, 3)
    assert (figures["unanswerable_withheld"], figures["unanswerable"]) == (1, 2)
    assert figures["p50_s"] == 3.0
    rows = table_rows(outcomes)
    assert [row[0] for row in rows] == ["lookup", "unanswerable", "all"]
    assert rows[0][3] == "1/2 (50%)"
    assert rows[0][5] == "-"


def test_the_question_set_has_the_mix_it_promises() -> None:
    questions = load_questions()
    counts = Counter(q.kind for q in questions)
    assert len(questions) >= 48
    assert len({q.id for q in questions}) == len(questions)
    assert set(counts) <= set(KINDS)
    minimum = {"lookup": 12, "arithmetic": 8, "clause": 8, "clinical": 8, "unanswerable": 10}
    assert all(counts[kind] >= n for kind, n in minimum.items())
    names = {path.name for path in sample_files()}
    for question in questions:
        assert (question.document is None) == (not question.answerable)
        assert question.document is None or question.document in names
        assert question.value is None or Decimal(question.value).is_finite()
        assert all(phrase == phrase.lower() for phrase in question.must_contain)


def test_a_question_needs_a_gold_unless_unanswerable() -> None:
    record: dict[str, Any] = {
        "id": "x",
        "question": "q",
        "kind": "lookup",
        "document": "a.md",
        "value": None,
        "must_contain": [],
        "note": "",
    }
    with pytest.raises(ValueError):
        Question.from_json(record)
