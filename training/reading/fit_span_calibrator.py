"""Fit the span reader's calibrator on its development examples.

Each development example of ``training.reading.train_span_reader`` (never trained on) is read
as retrieval would hand it over: its passage among four passages of other examples, first,
second or third, or, for a passage that does not answer, among passages that do not either.
Every passage's proposal is a labelled reading, since the product picks the proposal the
model finds most likely right: it is right when its words match the gold answer (token F1 of
at least ``RIGHT_F1``); any reading of an unanswerable question is wrong. A logistic
regression (scikit-learn) maps the reading's features to the probability it is right. A fifth
of the questions is kept aside to report discrimination (AUROC) and calibration (Brier score)
before the final fit on all.

    python -m training.reading.fit_span_calibrator --data ../shared/data
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

from assistant.logistic import Logistic
from assistant.reading.span_model import BUNDLED_SPAN_READER, SpanModel
from assistant.reading.span_reader import (
    BUNDLED_SPAN_CALIBRATOR,
    FEATURES,
    FORMAT_VERSION,
    readings,
    span_features,
)
from training.logistic_fit import fit_logistic
from training.reading.span_data import SpanExample, span_examples
from training.reading.train_span_reader import is_dev, normal

DISTRACTORS = 4
RIGHT_F1 = 0.5


def token_f1(said: str, gold: str) -> float:
    said_words, gold_words = normal(said).split(), normal(gold).split()
    common = sum((Counter(said_words) & Counter(gold_words)).values())
    if not common:
        return 0.0
    precision, recall = common / len(said_words), common / len(gold_words)
    return 2 * precision * recall / (precision + recall)


Labelled = list[tuple[list[float], bool]]
"""The labelled readings of one question: each proposal's features and whether it is right."""


def labelled_readings(
    examples: Sequence[SpanExample], reader: SpanModel, seed: int
) -> list[Labelled]:
    """Per example, every proposal of the reader among distractor passages, labelled."""
    rng = random.Random(seed)
    unanswered = [e.context for e in examples if e.start is None]
    out: list[Labelled] = []
    for example in examples:
        others = [
            e.context for e in rng.sample(list(examples), DISTRACTORS + 1) if e is not example
        ][:DISTRACTORS]
        if example.start is None:
            others = [c for c in rng.sample(unanswered, DISTRACTORS + 1) if c != example.context]
            others = others[:DISTRACTORS]
        passages = list(others)
        passages.insert(rng.choice([0, 0, 0, 1, 2]), example.context)
        out.append(
            [
                (
                    span_features(reading),
                    bool(example.answer) and token_f1(reading.value, example.answer) >= RIGHT_F1,
                )
                for reading in readings(example.question, passages, reader)
            ]
        )
    return out


def flat(groups: Sequence[Labelled]) -> tuple[list[list[float]], list[bool]]:
    pairs = [pair for group in groups for pair in group]
    return [x for x, _ in pairs], [y for _, y in pairs]


def report(model: Logistic, groups: Sequence[Labelled]) -> None:
    """Discrimination over every proposal, then what the product would show: per question the
    proposal judged most likely right, at several thresholds."""
    x, y = flat(groups)
    probabilities = np.array([model.probability(v) for v in x])
    labels = np.array(y, dtype=float)
    print(
        f"kept-aside {len(y)} proposals ({labels.mean():.2f} right): "
        f"AUROC {roc_auc_score(labels, probabilities):.3f}, "
        f"Brier score {brier_score_loss(labels, probabilities):.3f}"
    )
    chosen = [max((model.probability(v), right) for v, right in group) for group in groups if group]
    for threshold in (0.4, 0.5, 0.6, 0.7, 0.8):
        shown = [right for p, right in chosen if p >= threshold]
        if shown:
            print(
                f"at {threshold:.1f}: {len(shown) / len(groups):.2f} of {len(groups)} questions "
                f"answered, {np.mean(shown):.2f} of them right"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--reader", type=Path, default=BUNDLED_SPAN_READER)
    parser.add_argument("--out", type=Path, default=BUNDLED_SPAN_CALIBRATOR)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    dev = [e for e in span_examples(args.data, "train") if is_dev(e)]
    questions = sorted({e.question for e in dev})
    random.Random(args.seed).shuffle(questions)
    aside = set(questions[: len(questions) // 5])
    reader = SpanModel(args.reader)
    fitting = labelled_readings([e for e in dev if e.question not in aside], reader, args.seed)
    kept = labelled_readings([e for e in dev if e.question in aside], reader, args.seed + 1)
    fit_x, fit_y = flat(fitting)
    model = fit_logistic(fit_x, fit_y)
    print(f"fitted on {len(fit_y)} proposals ({np.mean(fit_y):.2f} right)")
    report(model, kept)
    final = fit_logistic(*flat([*fitting, *kept]))
    final.save(args.out, features=FEATURES, format_version=FORMAT_VERSION)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
