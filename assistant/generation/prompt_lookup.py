"""Guesses at the next tokens of a grounded answer, copied from the text before it.

A grounded answer repeats its passages: once its last few tokens also occur earlier (in a
passage, in the rules, or in the answer itself), the tokens that followed them there are a good
guess at what comes next. The runtime checks a whole guess in one forward pass and keeps only
the part the model would have produced itself, so answers stay the same while a copied span
costs one pass instead of one per token.
"""

from __future__ import annotations

from collections.abc import Sequence

MIN_MATCH = 2
"""Shortest run of trailing tokens that must recur before anything is guessed: a single token
("the", a comma) recurs everywhere and would mostly guess wrong."""

MAX_MATCH = 4


def guess_next(ids: Sequence[int], limit: int) -> list[int]:
    """Up to ``limit`` tokens that followed the latest earlier occurrence of ``ids``' last
    tokens, trying the longest such run first (from ``MAX_MATCH`` down to ``MIN_MATCH``
    tokens); empty when none recurs."""
    if limit <= 0:
        return []
    size = len(ids)
    for length in range(min(MAX_MATCH, size - 1), MIN_MATCH - 1, -1):
        tail = list(ids[size - length :])
        last = tail[-1]
        for end in range(size - 2, length - 2, -1):
            if ids[end] == last and list(ids[end - length + 1 : end + 1]) == tail:
                return list(ids[end + 1 : end + 1 + limit])
    return []
