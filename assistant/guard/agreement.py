"""Whether two answers to one question say the same thing.

The language model's draft and the span reader's best reading come from two different models
reading the same passages. When both point at the same words, the answer is more likely right
than when either stands alone; when the reader confidently prefers other words, less. This
answers the question a second way at no extra cost: the span reader has already read the
passages before the draft is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.generation.citations import CITATION_MARK

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_SMALL_WORDS = frozenset({"a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "by"})


def answer_words(text: str) -> list[str]:
    """The answer's words and numbers in order, lower-cased, without citations, small words
    or thousands separators, so that formatting differences do not count."""
    words = []
    for word in _WORD.findall(CITATION_MARK.sub(" ", text).lower()):
        if word[0].isdigit():
            word = word.replace(",", "")
            if "." in word:
                word = word.rstrip("0").rstrip(".")
        if word not in _SMALL_WORDS:
            words.append(word)
    return words


def _holds(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    width = len(shorter)
    return any(list(longer[i : i + width]) == list(shorter) for i in range(len(longer) - width + 1))


def agreement(first: str, second: str | None) -> float:
    """1 when both answers state the same words, 0.5 when one answer's words are a run inside
    the other's, 0 when they differ or there is no second answer."""
    if second is None:
        return 0.0
    a, b = answer_words(first), answer_words(second)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return 0.5 if _holds(longer, shorter) else 0.0
