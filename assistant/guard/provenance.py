"""Number provenance: every figure in a drafted answer is copied or computed, never invented.

A figure in an answer sentence must appear in a passage the sentence cites (all retrieved
passages when it cites none), or be the result of a formula the sentence shows ("180.3 - 138.8 =
41.5") whose operands do. The product evaluates such formulas itself and writes the exact result
in place of the one drafted, so a model's arithmetic slip never reaches the reader. A sentence
with any other figure is removed from the answer, and the removal is reported with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.generation.citations import CitedSentence
from assistant.guard.facts import EvidenceIndex, FactKind, extract_facts
from assistant.reading.expression import ExpressionError, evaluate
from ingest.numbers import format_number, read_number

_FIGURE_KINDS = frozenset({FactKind.NUMBER, FactKind.AMOUNT, FactKind.PERCENTAGE})
_OPERAND = r"\(?-?\$?\d[\d,]*(?:\.\d+)?\)?%?"
_FORMULA = re.compile(
    rf"(?P<expression>\(*\s*{_OPERAND}(?:\s*[-+*/×÷−]\s*\(*\s*{_OPERAND}\s*\)*)+\)*)"
    rf"\s*=\s*(?P<result>-?\$?\d[\d,]*(?:\.\d+)?%?)"
)


@dataclass(frozen=True)
class RemovedSentence:
    text: str
    reason: str


@dataclass(frozen=True)
class ProvenanceCheck:
    """The sentences kept (formula results recomputed exactly) and the ones removed."""

    sentences: tuple[CitedSentence, ...]
    removed: tuple[RemovedSentence, ...]
    recomputed: bool


def _recompute(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each shown formula's result replaced by its exact value, and the spans of
    those results (computed, so exempt from the copy rule)."""
    spans: list[tuple[int, int]] = []
    pieces: list[str] = []
    last = 0
    for match in _FORMULA.finditer(text):
        expression = match.group("expression").replace("$", "").replace("%", "")
        try:
            value = evaluate(expression)
        except ExpressionError:
            continue
        written = match.group("result")
        percent = "%" if written.endswith("%") else ""
        drafted = read_number(written.replace("$", ""))
        exact = format_number(value, places=2)
        if drafted is not None and round(drafted.value, 2) == round(value, 2):
            exact = written.replace("$", "").removesuffix("%")
        pieces.append(text[last : match.start("result")])
        start = sum(len(p) for p in pieces)
        result = f"{'$' if written.startswith('$') else ''}{exact}{percent}"
        pieces.append(result)
        spans.append((start, start + len(result)))
        last = match.end("result")
    pieces.append(text[last:])
    return "".join(pieces), spans


def check_numbers(sentences: Sequence[CitedSentence], texts: Sequence[str]) -> ProvenanceCheck:
    """Apply the provenance rule to an answer whose passage ``[n]`` has text ``texts[n - 1]``."""
    kept: list[CitedSentence] = []
    removed: list[RemovedSentence] = []
    recomputed = False
    for sentence in sentences:
        text, computed = _recompute(sentence.text)
        recomputed = recomputed or text != sentence.text
        cited = [texts[n - 1] for n in sentence.citations if 0 < n <= len(texts)]
        evidence = EvidenceIndex.build(cited or texts)
        invented = [
            fact
            for fact in extract_facts(text)
            if fact.kind in _FIGURE_KINDS
            and not any(s <= fact.span.start < e for s, e in computed)
            and not evidence.supports(fact)
        ]
        if invented:
            where = "cited" if cited else "retrieved"
            figures = ", ".join(dict.fromkeys(f.text for f in invented))
            removed.append(
                RemovedSentence(
                    sentence.text,
                    f"{figures}: in no {where} passage and not computed from cited values",
                )
            )
            continue
        kept.append(replace(sentence, text=text))
    return ProvenanceCheck(tuple(kept), tuple(removed), recomputed)


def render_sentences(sentences: Sequence[CitedSentence]) -> str:
    """Answer text from sentences, each with its citation markers before its final stop."""
    rendered = []
    for sentence in sentences:
        markers = "".join(f"[{n}]" for n in sentence.citations)
        text = sentence.text
        if markers and text and text[-1] in ".!?":
            text = f"{text[:-1]} {markers}{text[-1]}"
        elif markers:
            text = f"{text} {markers}"
        rendered.append(text)
    return " ".join(rendered)
