"""Questions beside a passage, with the characters of the answer in it or none: the span
reader's training and development examples.

HaluEval QA rows give a question, a short passage and an answer that is, for most rows, a
span of the passage; the same passage with the answer's sentences taken out teaches the reader
to say that a passage does not answer. TAT-QA span questions answered from a paragraph give
annual-report wording; another paragraph of the same report is the negative. Both sets are
split by the generator's rule (HaluEval by row, TAT-QA by table), so the held-out items of the
answer benchmarks are never trained on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from training.generation.training_data import Split, split_of

HALUEVAL_FILE = Path("hallucination/halueval_qa_dev.jsonl")
TATQA_FILE = Path("finance/tatqa_dev.json")
NEGATIVE_EVERY = 3
"""One HaluEval row in this many also gives a negative example."""
MIN_NEGATIVE_WORDS = 12
_SENTENCE_END = re.compile(r"(?<=[.!?])(?=[A-Z\"'])|(?<=[.!?])\s+")


@dataclass(frozen=True)
class SpanExample:
    """``context[start:end]`` answers ``question``; ``start`` is ``None`` when nothing in
    ``context`` does."""

    question: str
    context: str
    start: int | None
    end: int | None
    origin: str

    @property
    def answer(self) -> str:
        return "" if self.start is None else self.context[self.start : self.end]


def _located(question: str, context: str, answer: str, origin: str) -> SpanExample | None:
    at = context.lower().find(answer.lower())
    if not answer.strip() or at < 0:
        return None
    return SpanExample(question, context, at, at + len(answer), origin)


def _without_answer(context: str, answer: str) -> str | None:
    """``context`` with every sentence that holds ``answer`` removed, when enough is left."""
    kept = [s for s in _SENTENCE_END.split(context) if answer.lower() not in s.lower()]
    rest = " ".join(s.strip() for s in kept if s.strip())
    if len(rest.split()) < MIN_NEGATIVE_WORDS or answer.lower() in rest.lower():
        return None
    return rest


def halueval_examples(data: Path, wanted: Split) -> Iterator[SpanExample]:
    lines = (data / HALUEVAL_FILE).read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if not line.strip() or split_of("halueval", str(index)) != wanted:
            continue
        row = json.loads(line)
        question, context, answer = row["question"].strip(), row["knowledge"], row["right_answer"]
        example = _located(question, context, answer.strip(), "halueval")
        if example is None:
            continue
        yield example
        if index % NEGATIVE_EVERY == 0:
            rest = _without_answer(context, answer.strip())
            if rest is not None:
                yield SpanExample(question, rest, None, None, "halueval-negative")


def tatqa_examples(data: Path, wanted: Split) -> Iterator[SpanExample]:
    for item in json.loads((data / TATQA_FILE).read_text(encoding="utf-8")):
        if split_of("tatqa", item["table"]["uid"]) != wanted:
            continue
        paragraphs = [p["text"] for p in sorted(item["paragraphs"], key=lambda p: p["order"])]
        for question in item["questions"]:
            if question["answer_type"] != "span" or question["answer_from"] != "text":
                continue
            answer = str(question["answer"][0]).strip()
            holding = [p for p in paragraphs if answer.lower() in p.lower()]
            if not holding:
                continue
            example = _located(question["question"], holding[0], answer, "tatqa")
            if example is not None:
                yield example
            others = [p for p in paragraphs if answer.lower() not in p.lower()]
            if others:
                yield SpanExample(question["question"], others[0], None, None, "tatqa-negative")


def span_examples(data: Path, wanted: Split) -> list[SpanExample]:
    """Every example of split ``wanted``."""
    return [*halueval_examples(data, wanted), *tatqa_examples(data, wanted)]
