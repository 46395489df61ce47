"""Whether a generated answer is correct, by a rule written down once.

* A question whose passages do not hold the answer (unanswerable): correct only when the model
  abstained.
* An answerable question the model abstained on: incorrect.
* TAT-QA: a gold span holding numbers is found when each of its numbers appears in the answer
  (by value, so 12.50 equals 12.5; words such as "approximately" are not required); any other
  span is found when it appears as a run of normalised tokens
  (``bench.generation_metrics.normalise``), or, for a gold of at most four words (a name, a
  place), when the answer's words are all gold words, at least half of its content words, the
  last one included ("Adam Shankman" for "Adam Michael Shankman", "Austria-Hungary" for "born in
  Austria-Hungary"). Correct when every gold span is found; a longer answer that states the
  right figure counts as correct. HaluEval's short answers are judged the same way.
* PubMedQA: correct when the answer's yes / no / maybe decision
  (``bench.generation_metrics.decision``) equals the gold label.
* FinanceBench, judged on the gold answer's first sentence (later ones are caveats, such as
  which months a fiscal year covers): when it opens with yes or no, correct when the first of
  the words yes and no in the answer is the same (an answer with neither is wrong: unlike a
  PubMedQA answer, it is not read as yes); otherwise, when it holds a figure (a number standing
  alone, not inside a word such as FY2022, and not a year from 1900 to 2100), correct when the
  first figure appears in the answer within 1% relative; otherwise correct when the answer
  holds at least half of its content words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.guard.evidence import STOP_WORDS
from bench.generation_metrics import decision, normalise, strip_citations

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z][a-z'-]{2,}")
_FIGURE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_YES_NO = re.compile(r"\W*(yes|no)\b", re.IGNORECASE)
_YES_NO_WORD = re.compile(r"\b(yes|no)\b", re.IGNORECASE)


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


def _figures(text: str) -> list[float]:
    """The numbers standing alone in ``text``, years left out: they name a period, not an
    amount."""
    figures: list[float] = []
    for match in _FIGURE.finditer(normalise(text)):
        value = float(match.group())
        if not (match.group().isdigit() and 1900 <= value <= 2100):
            figures.append(value)
    return figures


def _financebench_correct(answer: str, gold: str) -> bool:
    headline = _SENTENCE_END.split(gold.strip(), maxsplit=1)[0]
    gold_yes_no = _YES_NO.match(headline)
    if gold_yes_no:
        said = _YES_NO_WORD.search(strip_citations(answer))
        return said is not None and said.group(1).lower() == gold_yes_no.group(1).lower()
    gold_figures = _figures(headline)
    if gold_figures:
        target = gold_figures[0]
        return any(abs(n - target) <= 0.01 * max(abs(target), 1e-9) for n in _figures(answer))
    wanted = {w for w in _WORD.findall(headline.lower()) if w not in STOP_WORDS}
    if not wanted:
        return False
    have = set(_WORD.findall(answer.lower()))
    return len(wanted & have) >= len(wanted) / 2


SHORT_GOLD_WORDS = 4


def _shortened(answer: Sequence[str], gold: Sequence[str]) -> bool:
    """Whether the answer gives a short gold in fewer of its own words: every answer word is a
    gold word, at least half of the gold's content words are there, and its last word is."""
    if not answer or not gold or len(gold) > SHORT_GOLD_WORDS:
        return False
    content = {w for w in gold if len(w) > 2 and w not in STOP_WORDS}
    return (
        all(w in gold for w in answer)
        and gold[-1] in answer
        and len(content & set(answer)) * 2 >= len(content)
    )


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
        else _contains(tokens, _tokens(span)) or _shortened(tokens, _tokens(span))
        for span in references
    )
