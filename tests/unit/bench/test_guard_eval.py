from __future__ import annotations

import random
from collections import Counter
from typing import Any

from assistant.guard.calibrator import AnswerSignals
from bench.guard_eval import CROSS_FIT_FOLDS, cross_fit_fold, cross_fitted


def judged_answers(count: int, seed: int = 5) -> list[tuple[dict[str, Any], AnswerSignals, float]]:
    """Answers whose sentence support says how likely they are to be right."""
    rng = random.Random(seed)
    judged = []
    for n in range(count):
        support = rng.random()
        record = {"example_id": f"q{n}", "correct": rng.random() < support}
        signals = AnswerSignals(
            supports=(support,),
            absent_share=0.1,
            token_logprobs=(-0.2, -0.4),
            cited_sentences=1,
            sentences=1,
            question="What was the fee?",
            evidence=("The fee was 5 euros.",),
        )
        judged.append((record, signals, 0.001))
    return judged


def test_folds_are_fixed_and_all_used() -> None:
    folds = [cross_fit_fold(f"q{n}") for n in range(500)]
    assert folds == [cross_fit_fold(f"q{n}") for n in range(500)]
    counts = Counter(folds)
    assert sorted(counts) == list(range(CROSS_FIT_FOLDS))
    assert min(counts.values()) > 60


def test_cross_fitting_scores_every_answer_out_of_its_fold() -> None:
    judged = judged_answers(400)
    figures = cross_fitted(judged, lambda record: record["correct"])
    assert figures["answers"] == 400
    assert figures["correct"] == sum(r["correct"] for r, _, _ in judged)
    assert figures["confidence_auroc"] > 0.75
    assert figures["accuracy_at_50"] > figures["accuracy_at_100"] + 0.1
    assert figures["ece_10_bins"] < 0.15
