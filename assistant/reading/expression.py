"""Exact evaluation of the arithmetic an answer shows.

An answer that computes shows its formula ("1,077.4 - 952.6 = 124.8"); the product evaluates that
formula itself, exactly (rational arithmetic), so the figure is never the model's guess. Only
numbers, the four operations, unary signs and parentheses are accepted, within bounds on length,
nesting and magnitude: an expression is data from a model or a document, never code.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from fractions import Fraction

MAX_LENGTH = 300
MAX_NUMBERS = 30
MAX_DEPTH = 12
MAX_MAGNITUDE = Fraction(10) ** 18

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}


class ExpressionError(ValueError):
    """The expression is not plain bounded arithmetic, or has no value (division by zero)."""


def evaluate(expression: str) -> Decimal:
    """The value of ``expression`` as a decimal (28 significant digits)."""
    value = evaluate_exact(expression)
    return Decimal(value.numerator) / Decimal(value.denominator)


def evaluate_exact(expression: str) -> Fraction:
    """The exact rational value of ``expression``."""
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    source = _THOUSANDS.sub("", expression.replace("−", "-").replace("×", "*").replace("÷", "/"))
    source = source.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"not an arithmetic expression: {expression!r}") from error
    numbers = sum(isinstance(node, ast.Constant) for node in ast.walk(tree))
    if numbers > MAX_NUMBERS:
        raise ExpressionError(f"the expression has more than {MAX_NUMBERS} numbers")
    return _value(tree.body, source, 0)


def _value(node: ast.expr, source: str, depth: int) -> Fraction:
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression is nested deeper than {MAX_DEPTH}")
    if isinstance(node, ast.Constant):
        return _number(node, source)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _value(node.operand, source, depth + 1)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _value(node.left, source, depth + 1)
        right = _value(node.right, source, depth + 1)
        return _bounded(_apply(_OPERATORS[type(node.op)], left, right))
    raise ExpressionError(f"not allowed in an expression: {ast.unparse(node)!r}")


def _number(node: ast.Constant, source: str) -> Fraction:
    if isinstance(node.value, bool) or not isinstance(node.value, int | float):
        raise ExpressionError(f"not a number: {node.value!r}")
    # The digits as written, not the float Python parsed them into: 0.1 stays 1/10.
    written = ast.get_source_segment(source, node) or repr(node.value)
    try:
        value = Fraction(written.replace("_", ""))
    except ValueError as error:
        raise ExpressionError(f"not a number: {written!r}") from error
    return _bounded(value)


def _apply(operator: str, left: Fraction, right: Fraction) -> Fraction:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if right == 0:
        raise ExpressionError("division by zero")
    return left / right


def _bounded(value: Fraction) -> Fraction:
    if abs(value) > MAX_MAGNITUDE:
        raise ExpressionError("a value in the expression is too large")
    return value
