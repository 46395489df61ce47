"""Fitting the phrase detector: missing wording learnt as unsupported, and the saved model."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.guard.phrases import FEATURES, FORMAT_VERSION, PhraseFeatures
from assistant.logistic import Logistic
from training.guard.detector_data import LabelledClaim
from training.guard.train_phrases import fit_phrase_model

CLAUSE = (
    "The Receiving Party shall return all Confidential Information within thirty days after "
    "the Disclosing Party asks for it in writing."
)
EVIDENCE = (
    "Section 7. " + CLAUSE + " Copies kept for legal reasons stay confidential.",
    "Section 9. This agreement is governed by the laws of the State of Delaware.",
)


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
