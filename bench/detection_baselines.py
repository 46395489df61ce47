"""Trivial hallucination baselines, and the best F1 a baseline reaches over thresholds.

A detector is only worth its cost if it beats what needs no model at all: "a longer answer is
more likely made up" (``answer_length_score``) and "an answer with words the evidence lacks is
more likely made up" (``absent_word_fraction``). On HaluEval the hallucinated answers are
often full sentences while the right ones are a few words, so length alone scores well there;
``length_matched_subset`` keeps the rows where that shortcut is gone.

Scores follow one convention throughout: higher means more likely hallucinated, and label 1
marks a hallucinated (unsupported) answer. AUROC, F1 and balanced accuracy are scikit-learn's;
``best_f1`` only picks the best threshold from its precision-recall curve.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import precision_recall_curve

_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STOPWORD_TEXT = (
    "a an the and or but if of to in on at by for with from as is are was were be been "
    "being it its this that these those there their they them he she his her him we our "
    "you your i me my not no yes do does did has have had will would can could should may "
    "might must shall which who whom whose what when where why how than then so such into "
    "over under about after before between during also only very more most other some any "
    "each all both"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _content_words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


def answer_length_score(answer: str) -> float:
    """The answer's length in words."""
    return float(len(answer.split()))


def absent_word_fraction(answer: str, evidence: str | Sequence[str]) -> float:
    """The share of the answer's content words (stop words left out, case ignored) that occur
    nowhere in the evidence; 0.0 for an answer without content words."""
    passages = [evidence] if isinstance(evidence, str) else list(evidence)
    known = {word for passage in passages for word in _WORD.findall(passage.lower())}
    words = _content_words(answer)
    if not words:
        return 0.0
    return sum(word not in known for word in words) / len(words)


def best_f1(labels: Sequence[int], scores: Sequence[float]) -> tuple[float, float]:
    """The highest F1 over thresholds (predict positive when score >= threshold) and the
    threshold reaching it (the highest such threshold on ties)."""
    if len(labels) != len(scores):
        raise ValueError("labels and scores must be two sequences of the same length")
    if not any(labels):
        raise ValueError("F1 needs at least one positive label")
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    precision, recall = precision[:-1], recall[:-1]
    found = precision + recall > 0
    f1 = np.zeros(len(thresholds))
    f1[found] = 2 * precision[found] * recall[found] / (precision[found] + recall[found])
    best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=1e-12, atol=0.0))[-1]
    return float(f1[best]), float(thresholds[best])


def length_matched_subset(
    pairs: Sequence[Mapping[str, str]], tolerance: int
) -> list[Mapping[str, str]]:
    """The HaluEval rows whose right and hallucinated answers differ by at most ``tolerance``
    words, so answer length tells the two apart no better than chance."""
    if tolerance < 0:
        raise ValueError("tolerance must be 0 or more words")
    return [
        row
        for row in pairs
        if abs(len(row["right_answer"].split()) - len(row["hallucinated_answer"].split()))
        <= tolerance
    ]
