"""Trivial hallucination baselines and the metrics a detector is scored with.

A detector is only worth its cost if it beats what needs no model at all: "a longer answer is
more likely made up" (``answer_length_score``) and "an answer with words the evidence lacks is
more likely made up" (``absent_word_fraction``). On HaluEval the hallucinated answers are
often full sentences while the right ones are a few words, so length alone scores well there;
``length_matched_subset`` keeps the rows where that shortcut is gone.

Scores follow one convention throughout: higher means more likely hallucinated, and label 1
marks a hallucinated (unsupported) answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

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


def _checked(labels: Sequence[int], values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=int)
    x = np.asarray(values, dtype=float)
    if y.shape != x.shape or y.ndim != 1:
        raise ValueError("labels and scores must be two sequences of the same length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return y, x


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties given their average rank."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    ranks = np.empty(len(values), dtype=float)
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and ordered[end + 1] == ordered[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def auroc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the chance that a random positive outscores a random negative,
    ties counting one half."""
    y, x = _checked(labels, scores)
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUROC needs both positive and negative labels")
    rank_sum = _ranks(x)[y == 1].sum()
    return float((rank_sum - positives * (positives + 1) / 2) / (positives * negatives))


def best_f1(labels: Sequence[int], scores: Sequence[float]) -> tuple[float, float]:
    """The highest F1 over thresholds (predict positive when score >= threshold) and the
    threshold reaching it (the highest such threshold on ties)."""
    y, x = _checked(labels, scores)
    positives = int(y.sum())
    if positives == 0:
        raise ValueError("F1 needs at least one positive label")
    order = np.argsort(-x, kind="mergesort")
    ordered, hits = x[order], y[order]
    true_positives = np.cumsum(hits)
    predicted = np.arange(1, len(y) + 1)
    last_of_value = np.r_[ordered[1:] != ordered[:-1], True]
    f1 = 2 * true_positives / (predicted + positives)
    candidates = np.flatnonzero(last_of_value)
    best = candidates[np.argmax(f1[candidates])]
    return float(f1[best]), float(ordered[best])


def balanced_accuracy(labels: Sequence[int], predictions: Sequence[int]) -> float:
    """The mean of the recall on positives and the recall on negatives."""
    y, p = _checked(labels, predictions)
    if not np.isin(p, (0, 1)).all():
        raise ValueError("predictions must be 0 or 1")
    if y.all() or not y.any():
        raise ValueError("balanced accuracy needs both positive and negative labels")
    return float(((p[y == 1] == 1).mean() + (p[y == 0] == 0).mean()) / 2)


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
