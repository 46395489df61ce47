from __future__ import annotations

from decimal import Decimal

from ingest.parsers.pagebuilder import render_markdown_table
from ingest.tables import is_unit_note, read_table

INCOME = """### Summary income statement

| USD m | FY2024 | FY2025 |
|---|---:|---:|
| Revenue | 952.6 | 1,077.4 |
| Gross margin | 41.8% | 43.2% |
| **Net income** | **94.4** | **127.9** |"""


def test_cells_carry_row_label_column_header_and_number() -> None:
    table = read_table(INCOME)
    assert table is not None
    assert table.caption == "Summary income statement"
    assert table.headers == ("USD m", "FY2024", "FY2025")
    assert (table.scale, table.currency) == ("million", "USD")
    cells = {(c.row_label, c.column_header): c for c in table.cells()}
    net = cells["Net income", "FY2025"]
    assert (net.row, net.column, net.text) == (2, 2, "127.9")
    assert net.quantity is not None and net.quantity.value == Decimal("127.9")
    margin = cells["Gross margin", "FY2024"].quantity
    assert margin is not None and margin.percent


def test_header_rows_are_joined_and_merged_headers_spread_right() -> None:
    rows = [
        ["", "Years Ended September 30,", "", ""],
        ["", "2019", "2018", "2017"],
        ["Fixed Price", "$ 1,452.4", "$ 1,146.2", "$ 1,036.9"],
        ["Total sales", "$1,496.5", "$1,202.9", "$1,107.7"],
    ]
    text, _ = render_markdown_table(rows)
    table = read_table(text)
    assert table is not None
    assert table.headers[1:] == (
        "Years Ended September 30, 2019",
        "Years Ended September 30, 2018",
        "Years Ended September 30, 2017",
    )
    assert [row[0] for row in table.rows] == ["Fixed Price", "Total sales"]


def test_section_rows_prefix_the_labels_below_them() -> None:
    text = "| | 2019 |\n|---|---|\n| Current assets: | |\n| Cash | 12 |\n| Total | 40 |"
    table = read_table(text)
    assert table is not None
    assert table.row_label(1) == "Current assets Cash"


def test_a_repeated_header_inside_a_split_table_is_not_a_row() -> None:
    text = "| Item | 2019 |\n|---|---|\n| A | 1 |\n| Item | 2019 |\n|---|---|\n| B | 2 |"
    table = read_table(text)
    assert table is not None
    assert [row[0] for row in table.rows] == ["A", "B"]


def test_bad_tables_degrade_to_text() -> None:
    assert read_table("Just a paragraph of prose.") is None
    assert read_table("| only a header |\n|---|") is None
    assert read_table("| a | b |\n|---|---|\n| 1 | 2 | 3 |") is None


def test_escaped_pipes_stay_inside_their_cell() -> None:
    table = read_table("| Item | 2020 |\n|---|---|\n| A \\| B | 5 |")
    assert table is not None
    assert table.rows[0] == ("A | B", "5")


def test_a_year_with_spaced_out_digits_is_joined() -> None:
    table = read_table(
        "| | 2019 | 2 0 1 8 |\n|---|---|---|\n| Loss carryforward | 73,260 | 57,768 |"
    )
    assert table is not None
    assert table.headers == ("", "2019", "2018")


def test_a_unit_note_is_a_short_line_naming_a_scale() -> None:
    assert is_unit_note("(In millions, except per share data)")
    assert is_unit_note("All amounts in USD m")
    assert not is_unit_note("Revenue grew in every region this year.")
    assert not is_unit_note("| Revenue | 5 million |")
    long_line = "In millions " + "word " * 20
    assert not is_unit_note(long_line)


def test_a_table_carried_with_its_unit_note_reads_its_scale() -> None:
    table = read_table("(In millions of dollars)\n\n| Item | 2025 |\n|---|---|\n| Revenue | 12 |")
    assert table is not None and table.scale == "million" and table.currency == "USD"


def test_a_row_of_years_under_the_header_joins_it_whatever_its_first_cell_says() -> None:
    rows = [
        ["Years Ended December 31", "", "", ""],
        ["Black-Scholes Assumptions", "2019", "2018", "2017"],
        ["Dividend yield", "4.5%", "4.6%", "4.1%"],
    ]
    table = read_table(render_markdown_table(rows)[0])
    assert table is not None
    assert table.headers[1:] == ("2019", "2018", "2017")
    assert [row[0] for row in table.rows] == ["Dividend yield"]


def test_dated_headers_and_unit_signs_under_the_header_join_it() -> None:
    dated = [
        ["", "", "For the Year Ended", ""],
        ["Plan", "January 31, 2020", "February 1, 2019", "February 2, 2018"],
        ["Expected volatility", "27.4%", "33.5%", "22.6%"],
    ]
    table = read_table(render_markdown_table(dated)[0])
    assert table is not None
    assert table.headers[1] == "January 31, 2020"
    signs = [
        ["", "Years Ended December 31,", "", "Change", ""],
        ["", "2019", "2018", "$", "%"],
        ["Impairment of goodwill", "$1,910", "$14,740", "$(12,830)", "(87%)"],
    ]
    table = read_table(render_markdown_table(signs)[0])
    assert table is not None
    assert table.headers[3:] == ("Change $", "Change %")
    assert [row[0] for row in table.rows] == ["Impairment of goodwill"]


def test_a_body_row_of_one_year_value_is_not_taken_for_a_header() -> None:
    rows = [["Lease", "Amount", "Expires"], ["Warehouse", "1,200", "2027"]]
    table = read_table(render_markdown_table(rows)[0])
    assert table is not None
    assert [row[0] for row in table.rows] == ["Warehouse"]
