"""Scoring generated answers against the reference answers of the public sets.

* TAT-QA: exact match and token F1 after normalisation (lower case; citations, currency signs,
  thousands separators, scale words, articles and punctuation removed). An abstention scores 0.
* PubMedQA: a free answer is mapped to yes / no / maybe by ``decision()`` (rule below).
* Abstention: precision and recall of "The documents do not say." over unanswerable questions.
* Citations: share of cited passage numbers that are gold passages, over answered questions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_CITATION = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]")
_SCALE = re.compile(r"\b(thousands?|millions?|billions?|percent)\b")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PUNCT = re.compile(r"[^\w\s.%-]|(?<!\d)\.|\.(?!\d)")
_MAYBE = re.compile(r"\b(maybe|possibly|perhaps|unclear|uncertain|inconclusive|mixed|may or may)\b")
_NEGATION = re.compile(r"\b(no|not|did not|does not|do not|cannot|neither|nor|none)\b")


def strip_citations(text: str) -> str:
    return " ".join(_CITATION.sub(" ", text).split())


def normalise(text: str) -> str:
    """Lower-case text without citations, currency, separators, scale words or articles."""
    text = strip_citations(text).lower().replace("$", " ").replace("€", " ").replace("£", " ")
    text = _THOUSANDS.sub("", text)
    text = _SCALE.sub(" ", text)
    text = _PUNCT.sub(" ", text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.replace("%", " %").split())


def exact_match(prediction: str, references: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals the reference, or for several references
    (a multi-span answer) holds all of them and nothing else, in any order, "and" ignored."""
    predicted = normalise(prediction)

    def bag(text: str) -> list[str]:
        return sorted(t for t in text.split() if t != "and")

    if len(references) == 1:
        return float(predicted == normalise(references[0]))
    return float(bag(predicted) == bag(normalise(" ".join(references))))


def token_f1(prediction: str, references: Sequence[str]) -> float:
    """Bag-of-tokens F1 between the normalised prediction and the joined references."""
    predicted = normalise(prediction).split()
    gold = normalise(" ".join(references)).split()
    common = sum((Counter(predicted) & Counter(gold)).values())
    if not predicted or not gold or common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def decision(answer: str, abstained: bool) -> str:
    """yes / no / maybe for a free answer, or ``none`` for an abstention.

    Rule: the first word decides when it is yes, no or maybe; otherwise a hedging word
    (maybe, possibly, unclear, inconclusive, mixed, ...) in the first sentence gives maybe, a
    negation (no, not, does not, cannot, ...) gives no, and anything else yes.
    """
    if abstained:
        return "none"
    text = strip_citations(answer).lower()
    first_word = re.match(r"\W*(\w+)", text)
    if first_word and first_word.group(1) in ("yes", "no", "maybe"):
        return first_word.group(1)
    first_sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    if _MAYBE.search(first_sentence):
        return "maybe"
    if _NEGATION.search(first_sentence):
        return "no"
    return "yes"


@dataclass(frozen=True)
class AbstentionScores:
    precision: float
    recall: float
    abstained: int
    unanswerable: int


def abstention_scores(pairs: Iterable[tuple[bool, bool]]) -> AbstentionScores:
    """From (abstained, truly unanswerable) pairs; precision is 1.0 when nothing was abstained."""
    items = list(pairs)
    abstained = sum(a for a, _ in items)
    unanswerable = sum(u for _, u in items)
    correct = sum(a and u for a, u in items)
    return AbstentionScores(
        precision=correct / abstained if abstained else 1.0,
        recall=correct / unanswerable if unanswerable else 1.0,
        abstained=abstained,
        unanswerable=unanswerable,
    )


def citation_precision(cited: Sequence[int], gold: Sequence[int]) -> float | None:
    """Share of cited passage numbers that are gold; ``None`` when nothing was cited."""
    if not cited:
        return None
    return sum(n in gold for n in cited) / len(cited)
