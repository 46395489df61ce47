"""Turns legal, financial and medical text into BM25 terms.

Documents and queries go through the same function, so every rule below only has to be
consistent, not perfect. The rules, applied to lower-cased, NFKC-normalised text:

* Numbers lose thousands separators: ``1,234.5`` -> ``1234.5``; dotted numbers stay whole
  (``4.2.1``).
* A number with a marker keeps the marked form and adds the bare number, so a query can match
  either: ``12%`` -> ``12%``, ``12``; ``$5m`` -> ``$5m``, ``5``; ``10mg`` -> ``10mg``, ``10``;
  ``§ 4.2`` -> ``§4.2``, ``4.2``.
* A hyphenated term keeps the joined form and adds its parts: ``non-compete`` ->
  ``non-compet``, ``non``, ``compet`` (stemmed); ``10-K`` -> ``10-k``, ``10``, ``k``.
* Letters joined by dots are acronyms: ``U.S.`` -> ``us``, ``e.g.`` -> dropped (Latin
  abbreviations carry no meaning). Acronyms are neither stop-listed nor stemmed, so ``U.S.``
  survives although ``us`` is a stopword.
* Apostrophes vanish and a possessive ``'s`` is dropped: ``company's`` -> ``company``.
* Stopwords are English function words only. Negations (``no``, ``not``, ``nor``) and modal
  verbs (``shall``, ``may``, ``must``, ``will``) are kept: in contracts and clinical text
  they change what a passage says.
* Stemming is the Snowball English stemmer (PyStemmer, a C extension with a cache), applied to
  alphabetic words and hyphenated terms, never to numbers.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import Stemmer

from indexes.persist import IndexFormatError

TOKENIZER_NAME = "domain-english"
TOKENIZER_VERSION = 1

_STOPWORD_TEXT = """
a about above after again all am an and any are as at be because been before being below
between both but by did do does doing down during each few for from further had has have having
he her here hers herself him himself his how i if in into is it its itself just me more most my
myself of off on once only or other our ours ourselves out over own same she so some such than
that the their theirs them themselves then there these they this those through to too under
until up us very was we were what when where which while who whom why with you your yours yourself
yourselves s t d ll m o re ve y
"""

STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())
"""English function words. Deliberately without negations and modal verbs (see module doc)."""

LATIN_ABBREVIATIONS: frozenset[str] = frozenset({"eg", "ie", "cf", "viz", "al", "etc"})
"""Dotted abbreviations that are dropped: they mark an example or a reference, not content."""

_TOKEN_PATTERN = re.compile(
    r"""
    (?P<section>§+\s*(?P<secnum>\d++(?:\.\d+)*+[^\W\d_]?)(?![^\W_]))
    | (?P<acronym>(?<![^\W_])[^\W\d_](?:\.[^\W\d_])+\.?(?![^\W_]))
    | (?P<amount>(?P<currency>[$€£¥])?(?P<number>\d++(?:,\d{3})*+(?:\.\d+)*+)
        (?P<unit>%|[^\W\d_]++)?(?![^\W_]|-[^\W_]))
    | (?P<word>[^\W_]++(?:['-][^\W_]++)*+)
    """,
    re.VERBOSE,
)
"""One token per match, tried in order. Possessive quantifiers keep matching linear; an amount
must end where its token ends, so ``10-K`` or ``12abc`` fall through to the word rule."""

CACHE_LIMIT = 500_000
"""Distinct words whose terms are remembered; past it the memory starts over."""

_CHARACTER_MAP = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})


@dataclass(frozen=True)
class TokenizerSettings:
    """The switches of the tokenizer; recorded in an index's manifest, because a query must be
    tokenized exactly as the documents were."""

    stopwords: bool = True
    stemming: bool = True

    def to_manifest(self) -> dict[str, object]:
        return {
            "name": TOKENIZER_NAME,
            "version": TOKENIZER_VERSION,
            "lowercase": True,
            "stopwords": self.stopwords,
            "stemmer": "snowball-english" if self.stemming else None,
        }

    @classmethod
    def from_manifest(cls, data: Mapping[str, object]) -> TokenizerSettings:
        """Settings as saved by ``to_manifest``; refuses rules of another tokenizer version,
        whose terms would not match the ones this code produces for queries."""
        if data.get("name") != TOKENIZER_NAME or data.get("version") != TOKENIZER_VERSION:
            raise IndexFormatError(
                f"the index was built with tokenizer {data.get('name')!r} version "
                f"{data.get('version')!r}, but this version tokenizes with {TOKENIZER_NAME!r} "
                f"version {TOKENIZER_VERSION}; rebuild the index"
            )
        return cls(stopwords=bool(data.get("stopwords")), stemming=data.get("stemmer") is not None)


class Tokenizer:
    """Callable turning a text into its list of terms (in text order, repeats kept)."""

    def __init__(self, settings: TokenizerSettings | None = None) -> None:
        self._settings = settings or TokenizerSettings()
        self._stopwords = STOPWORDS if self._settings.stopwords else frozenset()
        self._local = threading.local()
        self._cache: dict[str, tuple[str, ...]] = {}

    @property
    def settings(self) -> TokenizerSettings:
        return self._settings

    def __call__(self, text: str) -> list[str]:
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text).translate(_CHARACTER_MAP)
        terms: list[str] = []
        cache = self._cache
        for match in _TOKEN_PATTERN.finditer(text.lower()):
            kind = match.lastgroup
            if kind == "word":
                word = match.group()
                known = cache.get(word)
                if known is None:
                    if len(cache) >= CACHE_LIMIT:
                        cache.clear()
                    known = cache[word] = self._word_terms(word)
                terms += known
            elif kind == "amount":
                number = match.group("number").replace(",", "")
                marked = (match.group("currency") or "") + number + (match.group("unit") or "")
                if marked != number:
                    terms.append(marked)
                terms.append(number)
            elif kind == "acronym":
                acronym = match.group().replace(".", "")
                if acronym not in LATIN_ABBREVIATIONS:
                    terms.append(acronym)
            else:
                number = match.group("secnum")
                terms += ("§" + number, number)
        return terms

    def _word_terms(self, word: str) -> tuple[str, ...]:
        """Terms of a word or hyphenated compound (the joined form, then each part)."""
        if word.endswith("'s"):
            word = word[:-2]
        word = word.replace("'", "")
        if "-" not in word:
            return self._simple_terms(word)
        parts = tuple(term for part in word.split("-") for term in self._simple_terms(part))
        return (self._stem(word), *parts)

    def _simple_terms(self, word: str) -> tuple[str, ...]:
        if not word or word in self._stopwords:
            return ()
        return (self._stem(word) if word.isalpha() else word,)

    def _stem(self, word: str) -> str:
        if not self._settings.stemming:
            return word
        stemmer = getattr(self._local, "stemmer", None)
        if stemmer is None:
            stemmer = Stemmer.Stemmer("english")
            self._local.stemmer = stemmer
        result: str = stemmer.stemWord(word)
        return result
