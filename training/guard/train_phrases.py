"""Fits the phrase detector (``assistant.guard.phrases``) and stores it as the bundled model.

Training data: the training part of the perturbation set (TAT-QA and PubMedQA gold answers and
their number, negation and date edits, without the generator's held-out questions) and the
HaluEval QA rows of the training split whose two answers have the same length. LegalBench-RAG
and the party and unit edits are never trained on, so ``bench.guard_eval`` reports on them.

    python -m training.guard.train_phrases --data ../shared/data
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from assistant.guard.phrases import BUNDLED_PHRASE_MODEL, FEATURES, FORMAT_VERSION, PhraseFeatures
from assistant.logistic import Logistic
from training.guard.detector_data import LabelledClaim, halueval_claims, perturbation_claims
from training.logistic_fit import fit_logistic


def fit_phrase_model(claims: Sequence[LabelledClaim], *, ridge: float = 1.0) -> Logistic:
    """The logistic model of the probability that a claim is unsupported."""
    features = PhraseFeatures()
    rows = [features(c.sentence, c.evidence) for c in claims]
    return fit_logistic(rows, [not c.supported for c in claims], ridge=ridge)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="The public evaluation sets.")
    parser.add_argument("--out", type=Path, default=BUNDLED_PHRASE_MODEL)
    args = parser.parse_args(argv)
    claims = [*perturbation_claims(args.data)[0], *halueval_claims(args.data, "train")]
    model = fit_phrase_model(claims)
    model.save(args.out, features=FEATURES, format_version=FORMAT_VERSION)
    print(f"fitted on {model.fitted_on} claims; saved to {args.out}")
    for name, weight in zip(FEATURES, model.weights, strict=True):
        print(f"  {name:28s} {weight:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
