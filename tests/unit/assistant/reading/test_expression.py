from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.reading.expression import ExpressionError, evaluate, evaluate_exact


def test_arithmetic_is_exact() -> None:
    assert evaluate("0.1 + 0.2") == Decimal("0.3")
    assert evaluate("1,077.4 - 952.6") == Decimal("124.8")
    assert evaluate("(1,077.4 - 952.6) / 952.6 * 100").quantize(Decimal("0.01")) == Decimal("13.10")
    assert evaluate("-(3) + +2") == Decimal(-1)
    assert evaluate("  180.3 - 138.8 ") == Decimal("41.5")
    assert evaluate_exact("1 / 3") * 3 == 1


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "2 ** 10",
        "open('x')",
        "a + 1",
        "[1, 2]",
        "1 if 1 else 2",
        "lambda: 1",
        "1 // 2",
        "1 % 2",
        "True + 1",
        "'1' + '2'",
        "1 +",
    ],
)
def test_anything_but_plain_arithmetic_is_refused(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression)


def test_division_by_zero_is_an_error_not_an_infinity() -> None:
    with pytest.raises(ExpressionError, match="division by zero"):
        evaluate("5 / (2 - 2)")


def test_huge_numbers_long_and_deep_expressions_are_refused() -> None:
    with pytest.raises(ExpressionError, match="too large"):
        evaluate("9" * 30)
    with pytest.raises(ExpressionError, match="too large"):
        evaluate("1000000000 * 1000000000 * 1000000000")
    with pytest.raises(ExpressionError, match="longer"):
        evaluate("1 + " * 100 + "1")
    with pytest.raises(ExpressionError, match="deeper"):
        evaluate("(" * 20 + "1" + ")" * 20 + " + -" * 14 + "1")
    with pytest.raises(ExpressionError, match="numbers"):
        evaluate(" + ".join(["1"] * 40))
