"""The phrase detector: its features and the bundled model's verdicts."""

from __future__ import annotations

from assistant.guard.phrases import FEATURES, PhraseDetector, PhraseFeatures
from assistant.guard.protocols import DetectionInput, SentenceToCheck

CLAUSE = (
    "The Receiving Party shall return all Confidential Information within thirty days after "
    "the Disclosing Party asks for it in writing."
)
EVIDENCE = (
    "Section 7. " + CLAUSE + " Copies kept for legal reasons stay confidential.",
    "Section 9. This agreement is governed by the laws of the State of Delaware.",
)


def features(sentence: str) -> dict[str, float]:
    return dict(zip(FEATURES, PhraseFeatures()(sentence, EVIDENCE), strict=True))


def test_a_verbatim_clause_has_every_phrase_in_the_evidence() -> None:
    found = features(CLAUSE)
    assert found["pairs_absent"] == found["triples_absent"] == 0.0
    assert found["terms_absent"] == found["negation_added"] == 0.0
    assert found["facts_unsupported"] == 0.0


def test_swapping_the_parties_breaks_phrases_though_every_word_is_in_the_evidence() -> None:
    swapped = CLAUSE.replace("Receiving", "@").replace("Disclosing", "Receiving")
    found = features(swapped.replace("@", "Disclosing"))
    assert found["terms_absent"] == 0.0
    assert found["triples_absent"] > 0.0  # "Disclosing Party shall" is in no passage


def test_a_negation_the_evidence_does_not_make_is_noticed() -> None:
    assert features(CLAUSE.replace("shall return", "shall not return"))["negation_added"] == 1.0
    assert features(CLAUSE)["negation_added"] == 0.0


def check(sentence: str) -> float:
    item = DetectionInput("q", (SentenceToCheck(sentence, EVIDENCE),), EVIDENCE)
    [verdict] = PhraseDetector().detect(item)
    return verdict.probability


def test_the_bundled_model_supports_the_clause_and_doubts_an_invented_fact() -> None:
    assert check(CLAUSE) > 0.5
    invented = "The Receiving Party must pay a penalty of 45,000 dollars to Globex."
    item = DetectionInput("q", (SentenceToCheck(invented, EVIDENCE),), EVIDENCE)
    [verdict] = PhraseDetector().detect(item)
    assert verdict.probability < 0.5 and verdict.reasons
    marked = {invented[s.start : s.end] for s in verdict.unsupported}
    assert {"penalty", "45,000", "Globex"} <= marked
