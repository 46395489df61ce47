"""The phrase detector: its features, the bundled model's verdicts, and fitting it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.guard.detector_data import LabelledClaim
from assistant.guard.logistic import Logistic
from assistant.guard.phrases import FEATURES, FORMAT_VERSION, PhraseDetector, PhraseFeatures
from assistant.guard.protocols import DetectionInput, SentenceToCheck
from assistant.guard.train_phrases import fit_phrase_model

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


def claim(sentence: str, supported: bool) -> LabelledClaim:
    return LabelledClaim("test", "q", sentence, EVIDENCE, supported)


def test_fitting_learns_that_missing_wording_means_unsupported(tmp_path: Path) -> None:
    claims = [
        claim(CLAUSE, True),
        claim("This agreement is governed by the laws of the State of Delaware.", True),
        claim("Copies kept for legal reasons stay confidential.", True),
        claim("The Receiving Party shall return all Confidential Information.", True),
        claim("The supplier owes a fee of 9,000 euros every quarter.", False),
        claim("This agreement is governed by the laws of France.", False),
        claim("Copies may be sold to third parties at any time.", False),
        claim("The Receiving Party shall not return any Confidential Information.", False),
    ]
    model = fit_phrase_model(claims)
    scores = [model.probability(PhraseFeatures()(c.sentence, c.evidence)) for c in claims]
    assert max(scores[:4]) < min(scores[4:])

    path = tmp_path / "phrases.json"
    model.save(path, features=FEATURES, format_version=FORMAT_VERSION)
    assert Logistic.load(path, features=FEATURES, format_version=FORMAT_VERSION) == model
    with pytest.raises(ValueError, match="refit"):
        Logistic.load(path, features=FEATURES[:-1], format_version=FORMAT_VERSION)
