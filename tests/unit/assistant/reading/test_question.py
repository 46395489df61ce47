from __future__ import annotations

from assistant.reading.question import Operation, Period, read_question, terms_of, year_range


def test_periods_meet_across_spellings() -> None:
    assert read_question("Revenue in FY2025?").periods == (Period(2025),)
    assert read_question("Revenue in fiscal 2025?").periods == (Period(2025),)
    assert read_question("Revenue in FY25?").periods == (Period(2025),)
    assert read_question("Revenue in the fourth quarter of 2024?").periods == (Period(2024, 4),)
    assert read_question("Revenue in 2024-Q1?").periods == (Period(2024, 1),)
    assert read_question("Revenue of $2,019 in 2019").periods == (Period(2019),)


def test_operations_are_recognised() -> None:
    cases = {
        "What is the percentage change in Other in 2019 from 2018?": Operation.PERCENT_CHANGE,
        "What was the change (%) in order intake?": Operation.PERCENT_CHANGE,
        "What is the change in Other in 2019 from 2018?": Operation.CHANGE,
        "By how much did costs increase from 2018 to 2019?": Operation.CHANGE,
        "What is the average revenue for 2018 and 2019?": Operation.AVERAGE,
        "In which year was revenue the largest?": Operation.LARGEST_PERIOD,
        "Which year had the lowest costs?": Operation.SMALLEST_PERIOD,
        "What was revenue in 2019?": Operation.LOOKUP,
    }
    for question, operation in cases.items():
        assert read_question(question).operation is operation, question


def test_terms_drop_question_words_periods_units_and_plurals() -> None:
    assert terms_of("What were the company's total revenues in FY2025?") == {"total", "revenue"}
    assert terms_of("revenue_usd_m") == {"revenue"}
    assert terms_of("Liabilities") == {"liability"}


def test_year_ranges() -> None:
    assert year_range("the average from 2017 to 2019") == (2017, 2019)
    assert year_range("between 2019 and 2017") == (2017, 2019)
    assert year_range("in 2019") is None
