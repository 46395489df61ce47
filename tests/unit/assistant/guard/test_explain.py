"""The reasons behind a confidence: the calibrator features that moved it most, in words with
their values; where a table reading was read and what makes it less sure; and, for a withheld
answer, why it was withheld."""

from __future__ import annotations

import pytest

from assistant.guard.explain import (
    contributions,
    drafted_reasons,
    reading_reasons,
    withheld_drafted_reasons,
)
from assistant.logistic import Logistic
from assistant.reading.question import Operation
from assistant.reading.table_reader import CitedCell, TableReading
from ingest.tables import Cell

#             support_min, support_mean, absent, lp_mean, lp_low, cited, coverage, and four
#             features the model ignores (source relevance and the span reader's agreement)
IGNORED = (0.5, 0.3, 0.2, 0.2)
MODEL = Logistic(
    means=(0.6, 0.6, 0.3, -0.5, -1.5, 0.5, 0.6, *IGNORED),
    scales=(0.2, 0.2, 0.3, 0.5, 1.0, 0.5, 0.3, 0.3, 0.4, 0.3, 0.3),
    weights=(0.5, 0.5, -1.0, 0.8, 0.4, 0.9, 0.3, 0.0, 0.0, 0.0, 0.0),
    bias=0.0,
)


def test_each_feature_moves_the_score_by_its_weighted_standardised_value() -> None:
    features = [0.6, 0.8, 0.9, -0.5, -2.5, 1.0, 0.3, *IGNORED]
    assert contributions(MODEL, features) == pytest.approx(
        [0.0, 0.5, -2.0, 0.0, -0.4, 0.9, -0.3, 0, 0, 0, 0]
    )


def test_the_strongest_features_are_the_reasons_strongest_first_with_their_values() -> None:
    features = [0.6, 0.8, 0.9, -0.5, -2.5, 1.0, 0.3, *IGNORED]
    assert drafted_reasons(MODEL, features) == [
        "90% of the answer's words appear in no passage, which lowers the confidence.",
        "Every sentence cites a passage, which raises the confidence.",
        "The sentences are supported at 80% on average, which raises the confidence.",
    ]


def test_each_feature_has_a_high_and_a_low_form() -> None:
    high = [0.9, 0.95, 0.0, -0.1, -0.2, 1.0, 0.9, *IGNORED]
    low = [0.2, 0.3, 0.66, -1.9, -4.2, 0.0, 0.3, *IGNORED]
    every = len(high)
    assert drafted_reasons(MODEL, high, most=every) == [
        "Every word of the answer appears in a passage, which raises the confidence.",
        "Every sentence cites a passage, which raises the confidence.",
        "The sentences are supported at 95% on average, which raises the confidence.",
        "Even the weakest sentence is supported at 90%, which raises the confidence.",
        "The model was sure of its wording (mean token log-probability -0.1), which raises "
        "the confidence.",
        "Even the model's least likely words were likely (their mean log-probability -0.2), "
        "which raises the confidence.",
        "The passages cover 90% of the question's words, which raises the confidence.",
    ]
    assert drafted_reasons(MODEL, low, most=every) == [
        "The model was unsure of its wording (mean token log-probability -1.9), which lowers "
        "the confidence.",
        "66% of the answer's words appear in no passage, which lowers the confidence.",
        "Some words were unlikely for the model (their mean log-probability -4.2), which lowers "
        "the confidence.",
        "The weakest sentence is supported at only 20%, which lowers the confidence.",
        "No sentence cites a passage, which lowers the confidence.",
        "The sentences are supported at only 30% on average, which lowers the confidence.",
        "The passages cover only 30% of the question's words, which lowers the confidence.",
    ]


def test_a_feature_that_did_not_move_the_score_is_no_reason() -> None:
    at_the_means = list(MODEL.means)
    assert drafted_reasons(MODEL, at_the_means) == []


def test_the_support_is_said_once_when_the_weakest_equals_the_mean() -> None:
    features = [0.2, 0.2, 0.3, -0.5, -1.5, 0.5, 0.6, *IGNORED]
    assert drafted_reasons(MODEL, features) == [
        "The weakest sentence is supported at only 20%, which lowers the confidence."
    ]
    mean_only = Logistic(MODEL.means, MODEL.scales, (0.0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0.0)
    assert drafted_reasons(mean_only, features) == [
        "The sentences are supported at only 20% on average, which lowers the confidence."
    ]


def test_a_withheld_draft_says_its_confidence_was_too_low_then_what_lowered_it() -> None:
    features = [0.6, 0.8, 0.9, -0.5, -2.5, 1.0, 0.3, *IGNORED]
    assert withheld_drafted_reasons(MODEL, features, 0.31, 0.5) == [
        "The confidence (31%) is below the 50% these collections require, so the answer was "
        "withheld.",
        "90% of the answer's words appear in no passage, which lowers the confidence.",
        "Some words were unlikely for the model (their mean log-probability -2.5), which lowers "
        "the confidence.",
    ]


def reading(
    expression: str | None, *, label_precision: float = 1.0, runner_up: float = 0.0
) -> TableReading:
    columns = ("FY2024", "FY2025") if expression else ("FY2025",)
    cells = tuple(
        CitedCell(1, Cell(0, n, "Total revenue", header, "1", None))
        for n, header in enumerate(columns, start=1)
    )
    return TableReading(
        text="",
        value="41.5",
        operation=Operation.CHANGE if expression else Operation.LOOKUP,
        cells=cells,
        expression=expression,
        result=None,
        label_precision=label_precision,
        overlap=2,
        runner_up=runner_up,
        confidence=0.9,
    )


def test_a_sure_table_reading_says_where_it_was_read() -> None:
    assert reading_reasons(reading(None)) == [
        "Read from row 'Total revenue', column 'FY2025' of passage [1]."
    ]


def test_a_computed_reading_shows_its_formula_and_cells() -> None:
    assert reading_reasons(reading("180.3 - 138.8")) == [
        "Computed by the product as 180.3 - 138.8, from row 'Total revenue', columns 'FY2024' "
        "and 'FY2025' of passage [1]."
    ]


def test_a_doubtful_match_says_why() -> None:
    doubtful = reading(None, label_precision=0.5, runner_up=0.8)
    assert reading_reasons(doubtful) == [
        "Read from row 'Total revenue', column 'FY2025' of passage [1].",
        "Another row matches the question almost as well (80% as closely) and gives a "
        "different value.",
        "The question names only part of the row label (50% of its words).",
    ]
    assert reading_reasons(reading(None, runner_up=0.4)) == [
        "Read from row 'Total revenue', column 'FY2025' of passage [1]."
    ]


def test_a_withheld_reading_says_why_first() -> None:
    doubtful = reading(None, runner_up=0.7)
    assert reading_reasons(doubtful, weakest_support=0.2, withheld=(0.2, 0.5)) == [
        "The confidence (20%) is below the 50% these collections require, so the answer was "
        "withheld.",
        "A sentence is supported by the passages at only 20%, which lowers the confidence.",
        "Another row matches the question almost as well (70% as closely) and gives a "
        "different value.",
    ]


def test_the_provenance_and_agreement_features_say_what_they_saw() -> None:
    model = Logistic(
        means=(0.6, 0.6, 0.3, -0.5, -1.5, 0.5, 0.6, *IGNORED),
        scales=(0.2, 0.2, 0.3, 0.5, 1.0, 0.5, 0.3, 0.3, 0.4, 0.3, 0.3),
        weights=(0, 0, 0, 0, 0, 0, 0, 1.0, 2.0, 1.0, -1.0),
        bias=0.0,
    )
    agreeing = [0.6, 0.6, 0.3, -0.5, -1.5, 0.5, 0.6, 0.8, 1.0, 0.9, 0.0]
    assert drafted_reasons(model, agreeing, most=4) == [
        "The span reader, reading the same passages, gives the same answer, which raises the "
        "confidence.",
        "The span reader gives the same answer with 90% confidence, which raises the confidence.",
        "The passage sentence the answer comes from shares 80% of the question's words, which "
        "raises the confidence.",
        "The span reader prefers no other answer, which raises the confidence.",
    ]
    unsure = [0.6, 0.6, 0.3, -0.5, -1.5, 0.5, 0.6, 0.5, 1.0, 0.1, 0.2]
    assert drafted_reasons(model, unsure)[1] == (
        "The span reader gives the same answer, but with only 10% confidence, which lowers the "
        "confidence."
    )
    dissenting = [0.6, 0.6, 0.3, -0.5, -1.5, 0.5, 0.6, 0.1, 0.0, 0.0, 0.8]
    assert len(drafted_reasons(model, dissenting, most=11)) == 3, "no support where none is given"
    assert drafted_reasons(model, dissenting) == [
        "The span reader prefers another answer, with 80% confidence, which lowers the confidence.",
        "The span reader, reading the same passages, does not give this answer, which lowers "
        "the confidence.",
        "The passage sentence the answer comes from shares only 10% of the question's words, "
        "which lowers the confidence.",
    ]
