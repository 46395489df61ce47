"""TAT-QA contexts as documents, and the rule that judges an answer against a gold answer.

A TAT-QA context is one table from an annual report with the paragraphs around it. As a
document it is the table as Markdown rows followed by the paragraphs, which is what a user's
uploaded report becomes after ingestion. The split is the generator's split rule (by table, so
every question over one context shares it): evaluation contexts are never fitted on.

An answer is a sentence, not a span, so exact match is judged on the value it states: the
result after the last "=" of a shown formula, else the first number it states that is not a year
the question names, rounded to the gold's decimals (signs ignored for copied values, where
parentheses and "decrease" say the same); a text answer must contain every gold span and be at
most twice as long as the gold text plus eight words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from assistant.reading.question import periods_of
from ingest.parsers.pagebuilder import render_markdown_table
from training.generation.training_data import split_of

TATQA_FILE = Path("finance/tatqa_dev.json")
_CITATION = re.compile(r"\[\d+(?:[,;\s\d–-]*)\]")
_NUMBER = re.compile(r"\(?-?\$?\s?\d[\d,]*(?:\.\d+)?\)?%?")
_PUNCTUATION = re.compile(r"[^\w\s.%-]")


@dataclass(frozen=True)
class TatqaQuestion:
    uid: str
    question: str
    answer: list[str] | str | float | int
    answer_type: str
    answer_from: str
    scale: str


@dataclass(frozen=True)
class TatqaContext:
    uid: str
    split: str
    table_text: str
    document: str
    questions: tuple[TatqaQuestion, ...]


def load_contexts(data: Path) -> Iterator[TatqaContext]:
    for item in json.loads((data / TATQA_FILE).read_text(encoding="utf-8")):
        uid = item["table"]["uid"]
        table, _ = render_markdown_table(item["table"]["table"])
        paragraphs = [p["text"] for p in sorted(item["paragraphs"], key=lambda p: p["order"])]
        questions = tuple(
            TatqaQuestion(
                q["uid"],
                q["question"],
                q["answer"],
                q["answer_type"],
                q["answer_from"],
                q.get("scale") or "",
            )
            for q in item["questions"]
        )
        document = "\n\n".join([table, *paragraphs])
        yield TatqaContext(uid, str(split_of("tatqa", uid)), table, document, questions)


def _decimal(text: str) -> Decimal | None:
    cleaned = text.strip().replace(",", "").replace("$", "").replace("%", "").replace(" ", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    try:
        value = Decimal(cleaned.strip("()"))
    except InvalidOperation:
        return None
    return -value if negative else value


def stated_value(answer: str, question: str) -> Decimal | None:
    """The value an answer states: a formula's result, else its first number that is not a year
    the question names."""
    text = _CITATION.sub(" ", answer)
    if "=" in text:
        text = text.rsplit("=", 1)[1]
    named = {str(p.year) for p in periods_of(question)}
    for match in _NUMBER.finditer(text):
        token = match.group(0).strip()
        if token.strip("()") in named:
            continue
        value = _decimal(token)
        if value is not None:
            return value
    return None


def _normal(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


def is_right(answer: str, question: TatqaQuestion) -> bool:
    """Whether ``answer`` states the gold answer (rule in the module docstring)."""
    gold = question.answer if isinstance(question.answer, list) else [str(question.answer)]
    numbers = [_decimal(g) for g in gold]
    if len(gold) == 1 and numbers[0] is not None and question.answer_type != "multi-span":
        stated = stated_value(answer, question.question)
        if stated is None:
            return False
        target = numbers[0]
        exponent = target.as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 2
        if question.answer_type != "arithmetic":
            stated, target = abs(stated), abs(target)
        return round(stated, places) == target
    said = _normal(_CITATION.sub(" ", answer))
    spans = [_normal(g) for g in gold]
    length = sum(len(s.split()) for s in spans)
    return all(s and s in said for s in spans) and len(said.split()) <= 2 * length + 8
