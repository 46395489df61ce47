from __future__ import annotations

from decimal import Decimal

import pytest

from ingest.numbers import Quantity, format_number, read_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,077.4", Quantity(Decimal("1077.4"))),
        ("(71.4)", Quantity(Decimal("-71.4"))),
        ("-12", Quantity(Decimal("-12"))),
        ("$ 1,452.4", Quantity(Decimal("1452.4"))),
        ("**952.6**", Quantity(Decimal("952.6"))),
        ("13.1%", Quantity(Decimal("13.1"), percent=True)),
        ("USD 2.18", Quantity(Decimal("2.18"))),
        (".5", Quantity(Decimal(".5"))),
    ],
)
def test_numbers_are_read_exactly(text: str, expected: Quantity) -> None:
    assert read_number(text) == expected


@pytest.mark.parametrize(
    "text", ["", "—", "-", "n/a", "Total revenue", "12 months", "(12", "1.2.3"]
)
def test_text_that_is_not_one_number_is_none(text: str) -> None:
    assert read_number(text) is None


def test_format_number_groups_thousands_and_drops_trailing_zeros() -> None:
    assert format_number(Decimal("1077.40")) == "1,077.4"
    assert format_number(Decimal("35.4872"), places=2) == "35.49"
    assert format_number(Decimal("-0.001"), places=2) == "0"
    assert format_number(Decimal("124.8000000")) == "124.8"
