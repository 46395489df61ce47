"""The part of the evidence a sentence is checked against.

A cross-encoder sees a few hundred word pieces, while a sentence may cite several long
passages. The window chosen is the stretch of evidence that shares the most content words and
numbers with the sentence, so the check reads the lines that would support the claim, if any
do. Training and checking use the same choice, so the model learns on what it will be shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]{3,}", re.UNICODE)
_PIECE_END = re.compile(r"(?<=[.!?;:\n])\s+|\n")
STOP_WORDS = frozenset(
    "the and for with that this from was were are has have had its their not but which what "  # noqa: SIM905
    "who whom how does did into than then they them there these those been being such".split()
)


def content_terms(text: str) -> set[str]:
    """Lower-cased content words and numbers (thousands separators dropped)."""
    terms = {t.lower().replace(",", "") for t in _TOKEN.findall(text)}
    return terms - STOP_WORDS


def pieces_of(text: str) -> list[str]:
    """The sentences and table rows of a passage, prose re-flowed first."""
    flowed = " ".join(text.split()) if "|" not in text else text
    return [p for p in _PIECE_END.split(flowed) if p.strip()]


def evidence_window(sentence: str, passages: Sequence[str], max_chars: int = 700) -> str:
    """At most ``max_chars`` of the passages: the run of consecutive pieces (sentences, table
    rows) that covers the most of the sentence's terms, numbers weighing double."""
    wanted = content_terms(sentence)
    best_text, best_score = "", -1.0
    for passage in passages:
        pieces = pieces_of(passage)
        terms = [content_terms(p) for p in pieces]
        for start in range(len(pieces)):
            covered: set[str] = set()
            length, end = 0, start
            while end < len(pieces) and (length == 0 or length + len(pieces[end]) <= max_chars):
                covered |= terms[end] & wanted
                length += len(pieces[end]) + 1
                end += 1
            score = sum(2.0 if t[0].isdigit() else 1.0 for t in covered)
            if score > best_score:
                best_score = score
                best_text = " ".join(pieces[start:end])
    return best_text[:max_chars]


def best_passage(sentence: str, passages: Sequence[str], min_coverage: float = 0.6) -> int | None:
    """The index of the passage that holds the most of the sentence's terms (numbers weighing
    double), if it holds at least ``min_coverage`` of them; ``None`` otherwise."""
    wanted = content_terms(sentence)
    if not wanted:
        return None
    total = sum(_weight(t) for t in wanted)
    best, best_share = None, min_coverage
    for index, passage in enumerate(passages):
        share = sum(_weight(t) for t in wanted & content_terms(passage)) / total
        if share >= best_share and (best is None or share > best_share):
            best, best_share = index, share
    return best


def _weight(term: str) -> float:
    return 2.0 if term[0].isdigit() else 1.0
