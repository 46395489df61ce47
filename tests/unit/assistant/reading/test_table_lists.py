from __future__ import annotations

from assistant.reading.question import Operation
from assistant.reading.table_reader import read_from_tables

SALES = """| (in thousands) | 2019 | 2018 | 2017 |
|---|---|---|---|
| Net sales by region: | | | |
| Americas | 250,000 | 210,000 | 190,000 |
| EMEA | 120,000 | 130,000 | 90,000 |
| Total net sales | 370,000 | 340,000 | 280,000 |
| Deferred tax assets: | | | |
| Receivables | 10 | 12 | 9 |
| Inventories | 20 | 18 | 17 |
| Gross deferred tax assets | 30 | 30 | 26 |
| Less valuation allowance | (5) | (4) | (3) |"""


def test_the_years_a_table_shows_are_listed_and_cited() -> None:
    reading = read_from_tables("Which years does the table show?", [SALES])
    assert reading is not None
    assert reading.operation is Operation.PERIODS
    assert reading.text == "2019, 2018 and 2017 [1]."


def test_the_years_an_item_passes_a_figure_in_the_table_scale() -> None:
    reading = read_from_tables(
        "Which years did net sales from Americas exceed $200,000 thousand?", [SALES]
    )
    assert reading is not None
    assert reading.operation is Operation.PERIODS_PAST
    assert reading.value == "2019 and 2018"
    below = read_from_tables("In which year was EMEA less than 100 million?", [SALES])
    assert below is not None
    assert below.value == "2017"


def test_how_many_years_is_answered_with_the_count() -> None:
    reading = read_from_tables(
        "How many years did net sales from Americas exceed $200,000 thousand?", [SALES]
    )
    assert reading is not None
    assert reading.value == "2"
    assert reading.text.startswith("2 (2019 and 2018)")


def test_the_items_of_a_section_are_listed_without_its_totals() -> None:
    reading = read_from_tables("What are the components of deferred tax assets?", [SALES])
    assert reading is not None
    assert reading.operation is Operation.ITEMS
    assert reading.value == "Receivables and Inventories"
    count = read_from_tables("How many components are there under deferred tax assets?", [SALES])
    assert count is not None
    assert count.value == "2"


def test_which_year_was_larger_is_still_the_largest_period() -> None:
    reading = read_from_tables("In which year was EMEA larger?", [SALES])
    assert reading is not None
    assert reading.operation is Operation.LARGEST_PERIOD
    assert reading.value == "2018"


def test_a_list_question_the_tables_do_not_answer_gives_no_reading() -> None:
    assert read_from_tables("What are the components of goodwill?", [SALES]) is None
    comparison = "How many components of deferred tax assets exceeded 15 in 2019?"
    assert read_from_tables(comparison, [SALES]) is None
