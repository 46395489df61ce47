"""A learned check of the answer's wording against the evidence: phrases, negations and facts.

A hallucinated sentence in a document answer is usually a near copy of the evidence with one
thing changed: a party, a unit, a figure, a "not". Single words rarely give that away, since the
changed word usually appears somewhere in the passages; the phrases around it do not. This
detector reads, for each sentence and its evidence:

* the share of the sentence's word pairs and triples found in no passage,
* the share of its word pairs missing from the evidence window that best matches it
  (``assistant.guard.evidence``),
* the share of its content words absent from that window and from all the passages,
* whether it negates where the window does not,
* the fact checks (``FactDetector``) against the window and against all the passages,

and maps them to the probability that the evidence supports the sentence with a logistic
regression fitted on public data (``training.guard.train_phrases``). Answer length is not a
feature. The model is a small JSON file; no neural network runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from assistant.guard.evidence import content_terms, evidence_window
from assistant.guard.facts import FactDetector
from assistant.guard.protocols import DetectionInput, SentenceSupport, SentenceToCheck, Span
from assistant.logistic import Logistic

BUNDLED_PHRASE_MODEL = Path(__file__).resolve().parent.parent / "models" / "phrase_detector.json"
FEATURES = (
    "pairs_absent",
    "triples_absent",
    "pairs_absent_from_window",
    "terms_absent_from_window",
    "terms_absent",
    "negation_added",
    "facts_unsupported_in_window",
    "facts_unsupported",
)
FORMAT_VERSION = 1
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+", re.UNICODE)
_NEGATIONS = frozenset(
    ["not", "no", "never", "without", "none", "neither", "nor", "cannot", "unless", "except"]
)


def _words(text: str) -> list[str]:
    return [w.lower().replace(",", "") for w in _WORD.findall(text.replace("n't", " not"))]


def _grams(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _absent_share(wanted: set[tuple[str, ...]] | set[str], found: set[object]) -> float:
    return len(wanted - found) / len(wanted) if wanted else 0.0


class PhraseFeatures:
    """Computes ``FEATURES`` for a sentence and its evidence."""

    def __init__(self, facts: FactDetector | None = None) -> None:
        self._facts = facts or FactDetector()

    def _fact_doubt(self, sentence: str, evidence: tuple[str, ...]) -> float:
        item = DetectionInput("", (SentenceToCheck(sentence, evidence),), evidence)
        return 1.0 - self._facts.detect(item)[0].probability

    def __call__(self, sentence: str, evidence: Sequence[str]) -> list[float]:
        passages = tuple(evidence)
        window = evidence_window(sentence, passages)
        words, window_words = _words(sentence), _words(window)
        pairs, triples = _grams(words, 2), _grams(words, 3)
        all_pairs: set[object] = set()
        all_triples: set[object] = set()
        for passage in passages:
            passage_words = _words(passage)
            all_pairs |= _grams(passage_words, 2)
            all_triples |= _grams(passage_words, 3)
        terms = content_terms(sentence)
        all_terms: set[object] = set()
        for passage in passages:
            all_terms |= content_terms(passage)
        negates = any(w in _NEGATIONS for w in words)
        window_negates = any(w in _NEGATIONS for w in window_words)
        return [
            _absent_share(pairs, all_pairs),
            _absent_share(triples, all_triples),
            _absent_share(pairs, set(_grams(window_words, 2))),
            _absent_share(terms, set(content_terms(window))),
            _absent_share(terms, all_terms),
            float(negates and not window_negates),
            self._fact_doubt(sentence, (window,)) if window else 1.0,
            self._fact_doubt(sentence, passages) if passages else 1.0,
        ]


class PhraseDetector:
    """Support per sentence from ``PhraseFeatures`` and the fitted model; for a sentence judged
    unsupported, its words found in no passage are returned as the unsupported spans."""

    name = "phrases"

    def __init__(self, model_path: Path = BUNDLED_PHRASE_MODEL) -> None:
        self._model = Logistic.load(model_path, features=FEATURES, format_version=FORMAT_VERSION)
        self._features = PhraseFeatures()

    def warm_up(self) -> None:
        """Nothing to load: the model was read when the detector was made."""

    def detect(self, item: DetectionInput) -> tuple[SentenceSupport, ...]:
        verdicts = []
        for index, sentence in enumerate(item.sentences):
            evidence = item.evidence_for(index)
            support = 1.0 - self._model.probability(self._features(sentence.text, evidence))
            doubtful = support < 0.5
            verdicts.append(
                SentenceSupport(
                    probability=support,
                    unsupported=_absent_words(sentence.text, evidence) if doubtful else (),
                    reasons=("its wording is not found in the passages",) if doubtful else (),
                )
            )
        return tuple(verdicts)


def _absent_words(sentence: str, evidence: Sequence[str]) -> tuple[Span, ...]:
    found: set[str] = set()
    for passage in evidence:
        found |= content_terms(passage)
    return tuple(
        Span(match.start(), match.end())
        for match in _WORD.finditer(sentence)
        if (term := match.group().lower().replace(",", "")) in content_terms(match.group())
        and term not in found
    )
