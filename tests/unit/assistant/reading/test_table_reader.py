from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.reading.expression import evaluate
from assistant.reading.question import Operation
from assistant.reading.table_reader import read_from_tables

SEGMENTS = """### Revenue by segment

| Segment | FY2024 | FY2025 | Change |
|---|---:|---:|---:|
| Industrial Sensors | 512.4 | 548.9 | 7.1% |
| Medical Devices | 298.7 | 341.2 | 14.2% |
| **Total revenue** | **952.6** | **1,077.4** | **13.1%** |"""

INCOME = """| USD m | FY2024 | FY2025 |
|---|---:|---:|
| Revenue | 952.6 | 1,077.4 |
| Operating income | 138.8 | 180.3 |
| Effective tax rate | 24.0% | 23.5% |
| **Net income** | **94.4** | **127.9** |"""

QUARTERS = """| quarter | revenue_usd_m | capex_usd_m |
|---|---|---|
| FY2024-Q3 | 240.1 | 18.5 |
| FY2024-Q4 | 258.4 | 21.9 |
| FY2025-Q4 | 293.7 | 30.2 |"""

GEOGRAPHY = """| Total revenues net of interest expense | United States | EMEA | Total |
|---|---|---|---|
| 2022 | 41,396 | 6,100 | 52,862 |
| 2021 | 33,000 | 5,000 | 42,380 |"""

REGIONS = """| (Millions) | 2022 | 2021 |
|---|---|---|
| United States | 41,396 | 33,000 |
| EMEA | 6,100 | 5,000 |
| Total revenues net of interest expense | 52,862 | 42,380 |"""

PROSE = "The agreement may be terminated with thirty days' notice."


def test_a_cell_is_looked_up_by_row_label_and_period_and_cited() -> None:
    reading = read_from_tables(
        "What was Kestrel Ridge's total revenue in FY2025?", [PROSE, SEGMENTS]
    )
    assert reading is not None
    assert reading.value == "1,077.4"
    assert reading.text == "Total revenue was 1,077.4 in FY2025 [2]."
    assert reading.operation is Operation.LOOKUP
    [cited] = reading.cells
    assert (cited.passage, cited.cell.row_label, cited.cell.column_header) == (
        2,
        "Total revenue",
        "FY2025",
    )
    assert reading.expression is None


def test_a_change_is_computed_from_cited_cells_with_the_formula_shown() -> None:
    reading = read_from_tables(
        "By how much did operating income change from FY2024 to FY2025?", [INCOME]
    )
    assert reading is not None
    assert reading.expression == "180.3 - 138.8"
    assert reading.result == evaluate("180.3 - 138.8") == Decimal("41.5")
    assert "180.3 - 138.8 = 41.5 (USD millions) [1]" in reading.text
    assert [c.cell.column_header for c in reading.cells] == ["FY2024", "FY2025"]


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("What was the percentage change in net income from FY2024 to FY2025?", "35.49%"),
        ("What was the average operating income in FY2024 and FY2025?", "159.55 (USD millions)"),
        ("What was the effective tax rate in FY2024?", "24.0%"),
        ("What was revenue in FY2025 Q4?", "293.7"),
        ("What was capex in the third quarter of FY2024?", "18.5"),
    ],
)
def test_questions_over_tables(question: str, value: str) -> None:
    reading = read_from_tables(question, [INCOME, QUARTERS])
    assert reading is not None
    assert reading.value == value


def test_percentages_and_rates_are_not_given_the_table_scale() -> None:
    reading = read_from_tables("What was the effective tax rate in FY2025?", [INCOME])
    assert reading is not None
    assert "million" not in reading.text


@pytest.mark.parametrize("table", [GEOGRAPHY, REGIONS])
def test_the_whole_company_figure_is_preferred_to_a_segment(table: str) -> None:
    reading = read_from_tables(
        "What was the company's total revenues net of interest expense in 2022?", [table]
    )
    assert reading is not None
    assert reading.value == "52,862"


def test_the_largest_period_is_named() -> None:
    reading = read_from_tables("In which year was net income the largest?", [INCOME])
    assert reading is not None
    assert reading.value == "2025"


@pytest.mark.parametrize(
    "question",
    [
        "What was revenue in FY2023?",  # the period is not in the table
        "What is the notice period?",  # no row is named
        "What was the total in FY2025?",  # only a generic term matches
        "What are the terms of payment?",
    ],
)
def test_no_reading_when_the_table_does_not_say(question: str) -> None:
    assert read_from_tables(question, [INCOME, SEGMENTS, PROSE]) is None


def test_a_rival_row_lowers_the_match() -> None:
    reading = read_from_tables("What were Medical Devices revenues in FY2025?", [SEGMENTS, INCOME])
    assert reading is not None
    assert reading.value == "341.2"
    assert 0 < reading.runner_up < 1


BALANCE = """| (In millions) | 2019 | 2018 |
|---|---|---|
| Property, plant and equipment | 2,641 | 2,500 |
| Total assets | 3,025 | 2,900 |
| Total liabilities | 909 | 1,305 |"""


@pytest.mark.parametrize(
    ("question", "expression", "value"),
    [
        ("What is the ratio of total assets to total liabilities in 2019?", "3,025 / 909", "3.33"),
        (
            "What is the proportion of property, plant and equipment over total assets in 2019?",
            "2,641 / 3,025",
            "0.87",
        ),
        (
            "What was property, plant and equipment as a percentage of total assets in 2018?",
            "2,500 / 2,900 * 100",
            "86.21%",
        ),
        (
            "What is the difference between total assets and total liabilities in 2018?",
            "2,900 - 1,305",
            "1,595 (millions)",
        ),
    ],
)
def test_two_line_items_are_related_by_the_operation_asked(
    question: str, expression: str, value: str
) -> None:
    reading = read_from_tables(question, [BALANCE])
    assert reading is not None
    assert reading.expression == expression
    assert reading.value == value
    assert len(reading.cells) == 2
    assert len({c.cell.column for c in reading.cells}) == 1


def test_a_unit_note_row_belongs_to_the_header() -> None:
    table = """| | Year ended March 31, | |
|---|---|---|
| (In thousands) | 2019 | 2018 |
| Software | 16,427 | 11,885 |
| Leasehold improvements | 6,981 | 6,819 |"""
    reading = read_from_tables(
        "What was the average leasehold improvements for 2018 and 2019?", [table]
    )
    assert reading is not None
    assert reading.expression == "(6,819 + 6,981) / 2"
    assert reading.value == "6,900 (thousands)"


HEADCOUNT = """| Headcount at 31 December | FY2024 | FY2025 |
|---|---:|---:|
| Research and development | 820 | 1,010 |
| **Total employees** | **4,120** | **4,585** |"""

EPS = """| USD m | FY2024 | FY2025 |
|---|---:|---:|
| Diluted EPS (USD) | 1.62 | 2.18 |
| Diluted shares (millions) | 58.2 | 58.6 |"""

QUARTERS_2024 = """| quarter | revenue_usd_m | gross_margin_pct |
|---|---|---|
| FY2024-Q3 | 240.1 | 42.0 |
| FY2024-Q4 | 258.4 | 42.3 |"""

QUARTERS_2025 = """| quarter | revenue_usd_m | gross_margin_pct |
|---|---|---|
| FY2025-Q1 | 249.6 | 42.6 |
| FY2025-Q4 | 293.7 | 43.7 |"""


def test_abbreviations_meet_their_spelled_out_form() -> None:
    reading = read_from_tables("What were diluted earnings per share in FY2025?", [EPS])
    assert reading is not None
    assert reading.value == "2.18"
    assert "million" not in reading.text


def test_a_count_does_not_answer_a_question_about_money() -> None:
    assert (
        read_from_tables("How much was spent on research and development in FY2025?", [HEADCOUNT])
        is None
    )
    reading = read_from_tables("How many employees were there in FY2025?", [HEADCOUNT])
    assert reading is not None and reading.value == "4,585"


def test_a_modifier_the_label_lacks_means_another_item() -> None:
    assert read_from_tables("What was annual recurring revenue in FY2025?", [INCOME]) is None
    assert read_from_tables("What was Kestrel Ridge's revenue in FY2025?", [INCOME]) is not None
    plural_possessive = "What was Kestrel Ridge Instruments' revenue in FY2025?"
    assert read_from_tables(plural_possessive, [INCOME]) is not None


def test_a_table_split_across_passages_is_read_whole_and_each_piece_cited() -> None:
    reading = read_from_tables(
        "By how much did revenue change from FY2024-Q4 to FY2025-Q4?",
        [QUARTERS_2024, PROSE, QUARTERS_2025],
    )
    assert reading is not None
    assert reading.expression == "293.7 - 258.4"
    assert [c.passage for c in reading.cells] == [1, 3]
    assert reading.text.startswith("The change in revenue from FY2024-Q4 to FY2025-Q4")
    assert reading.text.endswith("[1][3].")


def test_the_quarters_of_a_year_are_averaged() -> None:
    reading = read_from_tables("What was the average quarterly revenue in FY2025?", [QUARTERS_2025])
    assert reading is not None
    assert reading.expression == "(249.6 + 293.7) / 2"


def test_a_percentage_column_named_in_a_field_gets_no_money_unit() -> None:
    reading = read_from_tables("What was the gross margin in FY2024-Q3?", [QUARTERS_2024])
    assert reading is not None
    assert reading.value == "42.0"
    assert "USD" not in reading.text


def test_a_column_the_question_names_is_not_a_missing_modifier() -> None:
    table = """| | Domestic | | International | |
|---|---|---|---|---|
| | 2019 | 2018 | 2019 | 2018 |
| Discount rate | 4.00% | 3.75% | 1.90% | 2.80% |"""
    reading = read_from_tables(
        "What is the percentage change in domestic discount rate between 2018 and 2019?", [table]
    )
    assert reading is not None
    assert reading.expression == "(4 - 3.75) / 3.75 * 100"


def test_the_average_of_a_year_is_of_its_opening_and_closing_values() -> None:
    reading = read_from_tables(
        "What is the 2025 average operating income?", [INCOME.replace("FY", "")]
    )
    assert reading is not None
    assert reading.expression == "(138.8 + 180.3) / 2"


def test_a_quarterly_average_is_never_taken_over_years() -> None:
    cash_flow = """| Cash flow summary, USD m | FY2024 | FY2025 |
|---|---:|---:|
| Capital expenditure | (71.4) | (99.4) |"""
    quarters = """| quarter | capex_usd_m |
|---|---|
| FY2025-Q1 | 19.7 |
| FY2025-Q2 | 23.4 |"""
    question = "What was the average quarterly capital expenditure in FY2025?"
    assert read_from_tables(question, [cash_flow]) is None
    reading = read_from_tables(question, [cash_flow, quarters])
    assert reading is not None
    assert reading.expression == "(19.7 + 23.4) / 2"


DEFERRED = """| | December 31, 2019 | December 31, 2018 | December 31, 2017 |
|---|---|---|---|
| Deferred tax assets: | | | |
| Equity-based compensation | 4,116 | 3,322 | 3,000 |
| Deferred revenue | 4 | 5 | 6 |
| Other | 8 | 13 | 10 |
| Deferred tax liabilities: | | | |
| Other | (47) | (38) | (30) |
| Revenue | 900 | 800 | 700 |
| Cost of revenue | 450 | 400 | 420 |
| Cost of revenue as % of revenue | 50% | 50% | 60% |"""


def test_a_row_is_found_without_the_section_heading_it_sits_under() -> None:
    reading = read_from_tables(
        "What is the percentage change in equity-based compensation between 2018 and 2019?",
        [DEFERRED],
    )
    assert reading is not None
    assert reading.expression == "(4,116 - 3,322) / 3,322 * 100"
    assert reading.text.startswith("The percent change in Equity-based compensation from")


def test_a_generic_row_is_named_with_its_section() -> None:
    reading = read_from_tables("What were other deferred tax liabilities in 2019?", [DEFERRED])
    assert reading is not None
    assert reading.value == "(47)"
    assert reading.text.startswith("Deferred tax liabilities Other was (47)")


def test_values_for_three_named_years_are_stated_with_their_years() -> None:
    reading = read_from_tables(
        "What was deferred revenue in 2019, 2018 and 2017 respectively?", [DEFERRED]
    )
    assert reading is not None
    assert reading.text == "Deferred revenue was 4 in 2019 and 5 in 2018 and 6 in 2017 [1]."


def test_a_total_over_named_years_is_their_sum() -> None:
    reading = read_from_tables("What is the total deferred revenue in 2018 and 2019?", [DEFERRED])
    assert reading is not None
    assert reading.operation is Operation.SUM
    assert reading.expression == "5 + 4"
    assert reading.result == Decimal(9)


def test_an_average_without_named_years_is_over_every_year_of_the_item() -> None:
    reading = read_from_tables("What is the average deferred revenue?", [DEFERRED])
    assert reading is not None
    assert reading.expression == "(6 + 5 + 4) / 3"
    assert reading.result == Decimal(5)


def test_a_ratio_of_items_not_both_in_the_table_is_not_answered_with_one_of_them() -> None:
    question = "What is the ratio of deferred revenue to goodwill in 2019?"
    assert read_from_tables(question, [DEFERRED]) is None


def test_a_share_the_table_states_as_a_percentage_is_read_as_it_stands() -> None:
    stated = """| | 2019 | 2018 |
|---|---|---|
| Cost of revenue | 450 | 400 |
| Cost of revenue as % of revenue | 50% | 60% |"""
    question = "What is cost of revenue as a percentage of revenue in 2018?"
    reading = read_from_tables(question, [stated])
    assert reading is not None
    assert reading.value == "60%"
    computed = read_from_tables(question, [DEFERRED])
    assert computed is not None
    assert computed.expression == "400 / 800 * 100"


def test_a_total_asked_for_each_year_respectively_lists_the_values() -> None:
    reading = read_from_tables(
        "What is the total deferred revenue in 2019 and 2018 respectively?", [DEFERRED]
    )
    assert reading is not None
    assert reading.operation is Operation.LOOKUP
    assert reading.text == "Deferred revenue was 4 in 2019 and 5 in 2018 [1]."


ADOPTION = """| | As reported | Adjustments | Without adoption |
|---|---|---|---|
| | 2019 | 2019 | 2019 |
| Deferred income tax assets | 22,626 | (532) | 22,094 |"""


def test_a_column_the_question_names_by_its_heading_is_the_one_read() -> None:
    reading = read_from_tables("What were deferred income tax assets as reported?", [ADOPTION])
    assert reading is not None
    assert reading.value == "22,626"


def test_a_span_of_years_asked_respectively_gives_every_year_in_its_order() -> None:
    reading = read_from_tables(
        "What was deferred revenue for fiscal years 2019 to 2017 respectively?", [DEFERRED]
    )
    assert reading is not None
    assert reading.value == "4 and 5 and 6"


def test_a_lookup_is_not_the_answer_to_a_spelled_out_formula_or_to_which_item_is_largest() -> None:
    flows = """| (USD millions) | 2023 | 2022 |
|---|---|---|
| Operating activities | 1,824 | 3,252 |
| Investing activities | (930) | (1,372) |
| Financing activities | (1,806) | (4,297) |
| Depreciation and amortization | 900 | 870 |"""
    assert (
        read_from_tables(
            "Among operations, investing and financing activities, which brought in the most cash "
            "in 2023?",
            [flows],
        )
        is None
    )
    assert (
        read_from_tables(
            "What is 2023 operating income plus depreciation and amortization less capex?", [flows]
        )
        is None
    )
    assert read_from_tables("What were financing activities in 2023?", [flows]) is not None


def test_a_question_for_a_reason_is_not_answered_from_cells() -> None:
    assert read_from_tables("Why did revenue increase from FY2024 to FY2025?", [INCOME]) is None
    assert read_from_tables("What was the reason for the change in revenue?", [INCOME]) is None


def test_a_change_of_an_average_is_not_answered_by_one_of_them() -> None:
    nested = "What is the change in the average revenue between FY2024 and FY2025?"
    assert read_from_tables(nested, [INCOME]) is None
    named = """| USD m | FY2024 | FY2025 |
|---|---:|---:|
| Average invested capital | 735.6 | 923.1 |"""
    reading = read_from_tables(
        "What was the change in the average invested capital from FY2024 to FY2025?", [named]
    )
    assert reading is not None and reading.result == Decimal("187.5")
