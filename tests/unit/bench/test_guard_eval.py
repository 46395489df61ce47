from __future__ import annotations

import random
from collections import Counter
from typing import Any

from assistant.guard.calibrator import AnswerSignals
from bench.guard_eval import CROSS_FIT_FOLDS, by_source, cross_fit_fold, cross_fitted


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


def test_figures_are_given_for_each_source() -> None:
    figures = by_source(
        ["tatqa", "tatqa", "halueval", "halueval", "halueval"],
        [0.9, 0.2, 0.95, 0.6, 0.3],
        [True, False, False, True, False],
    )
    assert sorted(figures) == ["halueval", "tatqa"]
    assert figures["tatqa"]["confidence_auroc"] == 1.0
    assert figures["tatqa"]["shown"] == 1 and figures["tatqa"]["correct_among_shown"] == 1.0
    halueval = figures["halueval"]
    assert halueval["answers"] == 3 and halueval["correct"] == 1
    assert halueval["confidence_auroc"] == 0.5
    assert halueval["shown"] == 2 and halueval["correct_among_shown"] == 0.5
    assert halueval["wrong_shown_at_0_9"] == 1
