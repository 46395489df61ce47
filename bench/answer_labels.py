"""Whether a generated answer is correct, by a rule written down once.

* A question whose passages do not hold the answer (unanswerable): correct only when the model
  abstained.
* An answerable question the model abstained on: incorrect.
* TAT-QA: a gold span holding numbers is found when each of its numbers appears in the answer
  (by value, so 12.50 equals 12.5; words such as "approximately" are not required); any other
  span is found when it appears as a run of normalised tokens
  (``bench.generation_metrics.normalise``). Correct when every gold span is found; a longer
  answer that states the right figure counts as correct.
* PubMedQA: correct when the answer's yes / no / maybe decision
  (``bench.generation_metrics.decision``) equals the gold label.
* FinanceBench: when the gold answer holds a number, correct when its first number (the
  headline figure) appears in the answer within 1% relative; otherwise correct when the answer
  holds at least half of the gold answer's content words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.guard.evidence import STOP_WORDS
from bench.generation_metrics import decision, normalise

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z][a-z'-]{2,}")


def _canonical(token: str) -> str:
    if _NUMBER.fullmatch(token):
        return repr(round(float(token), 6))
    return token


def _tokens(text: str) -> list[str]:
    return [_canonical(t) for t in normalise(text).split()]


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    if not needle:
        return False
    width = len(needle)
    return any(
        list(haystack[i : i + width]) == list(needle) for i in range(len(haystack) - width + 1)
    )


def _numbers(text: str) -> list[float]:
    return [float(n) for n in _NUMBER.findall(normalise(text))]


def _financebench_correct(answer: str, gold: str) -> bool:
    gold_numbers = _numbers(gold)
    if gold_numbers:
        target = gold_numbers[0]
        return any(abs(n - target) <= 0.01 * max(abs(target), 1e-9) for n in _numbers(answer))
    wanted = {w for w in _WORD.findall(gold.lower()) if w not in STOP_WORDS}
    if not wanted:
        return False
    have = set(_WORD.findall(answer.lower()))
    return len(wanted & have) >= len(wanted) / 2


def is_correct(
    source: str, answerable: bool, answer: str, abstained: bool, references: Sequence[str]
) -> bool:
    """The label of one answer under the rule in the module docstring."""
    if not answerable:
        return abstained
    if abstained or not references:
        return False
    if source == "pubmedqa":
        return decision(answer, abstained) == references[0]
    if source == "financebench":
        return _financebench_correct(answer, references[0])
    tokens = _tokens(answer)
    values = set(_numbers(answer))
    return all(
        all(n in values for n in _numbers(span))
        if _numbers(span)
        else _contains(tokens, _tokens(span))
        for span in references
    )
