"""Fit the table reader's calibrator on TAT-QA training-side contexts.

Each table question is read over its own table placed among tables of other training-side
contexts (as retrieval would return them, the right table first or second or third), labelled
right or wrong by ``training.reading.tatqa.is_right``, and a logistic regression
(scikit-learn) maps the reading's features to the probability it is right. A fifth of the
contexts is kept aside to report discrimination (AUROC) and calibration (Brier score).

    python -m training.reading.fit_calibrator --data ../shared/data
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

from assistant.reading.calibration import (
    BUNDLED_READING_CALIBRATOR,
    FEATURES,
    FORMAT_VERSION,
    reading_features,
)
from assistant.reading.question import terms_of
from assistant.reading.table_reader import read_from_tables
from training.logistic_fit import fit_logistic
from training.reading.tatqa import TatqaContext, is_right, load_contexts

DISTRACTORS = 4


def labelled_readings(
    contexts: list[TatqaContext], pool: list[TatqaContext], seed: int
) -> tuple[list[list[float]], list[bool]]:
    rng = random.Random(seed)
    features: list[list[float]] = []
    labels: list[bool] = []
    for context in contexts:
        for question in context.questions:
            if question.answer_from == "text":
                continue
            others = [c.table_text for c in rng.sample(pool, DISTRACTORS + 1) if c is not context]
            passages = others[:DISTRACTORS]
            passages.insert(rng.choice([0, 0, 0, 1, 2]), context.table_text)
            reading = read_from_tables(question.question, passages)
            if reading is None:
                continue
            features.append(reading_features(reading, len(terms_of(question.question))))
            labels.append(is_right(reading.text, question))
    return features, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=BUNDLED_READING_CALIBRATOR)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    contexts = [c for c in load_contexts(args.data) if c.split == "train"]
    random.Random(args.seed).shuffle(contexts)
    cut = len(contexts) // 5
    fit_x, fit_y = labelled_readings(contexts[cut:], contexts, args.seed)
    report_x, report_y = labelled_readings(contexts[:cut], contexts, args.seed + 1)
    model = fit_logistic(fit_x, fit_y)
    probabilities = np.array([model.probability(x) for x in report_x])
    labels = np.array(report_y, dtype=float)
    print(f"fitted on {len(fit_y)} readings ({np.mean(fit_y):.2f} right)")
    print(
        f"kept-aside {len(report_y)} readings ({labels.mean():.2f} right): "
        f"AUROC {roc_auc_score(labels, probabilities):.3f}, "
        f"Brier score {brier_score_loss(labels, probabilities):.3f}"
    )
    final = fit_logistic(fit_x + report_x, fit_y + report_y)
    final.save(args.out, features=FEATURES, format_version=FORMAT_VERSION)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
