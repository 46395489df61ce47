"""Hyphens at the end of PDF lines: a word broken by the typesetter, or a compound that ends a line.

A PDF keeps the hyphen of a word broken across two lines ("materi-" / "ally") exactly like the
hyphen of a compound that happens to end a line ("forward-" / "looking"), and PDFium reports
both as the same line-end hyphen. The document itself tells them apart: a broken word is
written whole elsewhere in it, a compound is written with its hyphen elsewhere. When the
document says neither, the hyphen is kept: filings and contracts are mostly produced from HTML
or Word, which do not hyphenate, so a line-end hyphen is more often part of a compound, and
keeping it loses no letter (search splits hyphenated words into their parts anyway).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
"""A word of letters, hyphenated compounds included."""
_LETTERS_BEFORE = re.compile(r"[^\W\d_]+$")
_LETTERS_AFTER = re.compile(r"^[^\W\d_]+")


class HyphenVocabulary:
    """How often a document writes each word whole, and each pair of words joined by a hyphen,
    away from line ends; built from every paragraph of the document before any is resolved."""

    def __init__(self) -> None:
        self._words: Counter[str] = Counter()
        self._compounds: Counter[str] = Counter()

    @classmethod
    def of(cls, paragraphs: Iterable[tuple[str, Sequence[int]]]) -> HyphenVocabulary:
        """The vocabulary of ``paragraphs``, each its text and the offsets of its line-end
        hyphens."""
        vocabulary = cls()
        for text, hyphens in paragraphs:
            vocabulary.add(text, hyphens)
        return vocabulary

    def add(self, text: str, hyphens: Sequence[int] = ()) -> None:
        """Counts the words of ``text``, less those holding one of its line-end ``hyphens``
        (offsets into ``text``): they are what is to be decided, not evidence."""
        for match in _WORD.finditer(text):
            if any(match.start() < hyphen < match.end() for hyphen in hyphens):
                continue
            parts = match.group().lower().split("-")
            self._words.update(parts)
            self._compounds.update(f"{left}-{right}" for left, right in pairwise(parts))

    def resolve(self, text: str, hyphens: Sequence[int]) -> str:
        """``text`` less each line-end hyphen (at offsets ``hyphens``) that breaks a word the
        document writes whole more often than hyphenated; the other hyphens stay."""
        kept: list[str] = []
        last = 0
        for hyphen in sorted(hyphens):
            if self._breaks_word(text, hyphen):
                kept.append(text[last:hyphen])
                last = hyphen + 1
        kept.append(text[last:])
        return "".join(kept)

    def _breaks_word(self, text: str, hyphen: int) -> bool:
        before = _LETTERS_BEFORE.search(text, 0, hyphen)
        after = _LETTERS_AFTER.match(text[hyphen + 1 :])
        if before is None or after is None:
            return False
        left, right = before.group().lower(), after.group().lower()
        return self._words[left + right] > self._compounds[f"{left}-{right}"]
