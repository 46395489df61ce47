"""Is a second draft over the same passages in reverse order worth writing?

Answering a question more than one way and measuring how much the answers agree is a known
signal of whether an answer is right. The cheapest form for a greedy generator is a second draft
over the same passages in another order. This measures it on the fit half of the product's own
drafted answers (``bench.own_answers``; the report half stays unseen): the AUROC of the two
drafts' agreement (``assistant.guard.agreement``) for telling right drafts from wrong, beside
that of the span reader's agreement, which the calibrator reads at no extra cost; the
cross-validated AUROC of the calibrator's features with and without the drafts' agreement; and
what the second draft costs, in seconds of generation per answer (eight at a time, batched, as
``bench.own_answers`` writes them).

    python -m bench.draft_agreement --data ../shared/data
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from assistant.collection_settings import answer_threshold
from assistant.generation.base import generate
from assistant.generation.citations import parse_answer
from assistant.generation.factory import build_generator
from assistant.generation.prompt import PromptBuilder
from assistant.guard.agreement import agreement
from assistant.guard.calibrator import FEATURES, Calibrator, answer_features
from assistant.guard.facts import FactDetector
from assistant.guard.phrases import PhraseDetector
from assistant.guard.policy import AnswerChecker
from assistant.reading.span_model import SpanModel
from assistant.reading.span_reader import SpanReader, load_span_calibrator
from assistant.settings import GuardSettings, Settings
from bench.answer_labels import is_correct
from bench.common import eval_data_dir, write_result
from bench.guard_eval import in_report_half, judged_answers
from bench.own_answers import ANSWERS, held_out_examples
from training.generation.training_data import Example


def cross_validated_auroc(features: np.ndarray, labels: np.ndarray) -> float:
    """AUROC of a logistic regression's out-of-fold probabilities (five folds)."""
    model = make_pipeline(StandardScaler(), LogisticRegression())
    scores = cross_val_predict(model, features, labels, cv=5, method="predict_proba")[:, 1]
    return float(roc_auc_score(labels, scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--answers", type=Path, default=ANSWERS)
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.answers.is_file():
        sys.exit(f"no answers at {args.answers}: run python -m bench.own_answers first")
    records = {
        r["example_id"]: r
        for r in map(json.loads, args.answers.read_text(encoding="utf-8").splitlines())
        if not in_report_half(r["example_id"]) and not r["abstained"] and r["sentences"]
    }
    settings = Settings()
    generation = settings.generation.model_copy(update={"threads": args.threads})
    generator = build_generator(generation)
    generator.warm_up()
    builder = PromptBuilder(
        generator.tokenizer,
        context_tokens=generation.context_tokens,
        answer_tokens=args.max_new_tokens,
    )
    examples = [
        e
        for e in held_out_examples(eval_data_dir(args.data), generator.tokenizer.count)
        if e.example_id in records
    ]

    def second_draft(example: Example) -> tuple[str, float]:
        first = builder.build(example.question, example.passages)
        flipped = builder.build(example.question, list(reversed(first.passages)))
        result = generate(generator, flipped.messages, max_new_tokens=args.max_new_tokens)
        parsed = parse_answer(result.text, len(flipped.passages))
        return ("" if parsed.abstained else parsed.text), result.total_s

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        seconds_drafts = dict(
            zip((e.example_id for e in examples), pool.map(second_draft, examples), strict=True)
        )
    wall_s = time.perf_counter() - started

    checker = AnswerChecker(
        detectors=(FactDetector(), PhraseDetector()),
        calibrator=Calibrator((0.0,), (1.0,), (0.0,), 0.0),
        threshold=partial(answer_threshold, GuardSettings()),
    )
    reader = SpanReader(
        SpanModel(cache_dir=settings.model_cache_dir),
        load_span_calibrator(),
        min_confidence=generation.span_reader_min_confidence,
    )
    judged = judged_answers([records[i] for i in seconds_drafts], checker, reader)
    labels = np.array(
        [
            is_correct(r["source"], r["answerable"], r["answer"], r["abstained"], r["answers"])
            for r, _, _ in judged
        ]
    )
    drafts = np.array(
        [agreement(r["answer"], seconds_drafts[r["example_id"]][0] or None) for r, _, _ in judged]
    )
    features = np.array([answer_features(s) for _, s, _ in judged])
    reader_at = FEATURES.index("reader_agreement")
    figures: dict[str, Any] = {
        "command": "python -m bench.draft_agreement " + " ".join(sys.argv[1:]),
        "answers": len(judged),
        "right": int(labels.sum()),
        "drafts_agree": {
            "same": int((drafts == 1.0).sum()),
            "overlapping": int((drafts == 0.5).sum()),
            "different": int((drafts == 0.0).sum()),
        },
        "auroc_drafts_agreement": round(float(roc_auc_score(labels, drafts)), 3),
        "auroc_span_reader_agreement": round(
            float(roc_auc_score(labels, features[:, reader_at])), 3
        ),
        "cv_auroc_calibrator_features": round(cross_validated_auroc(features, labels), 3),
        "cv_auroc_with_drafts_agreement": round(
            cross_validated_auroc(np.column_stack([features, drafts]), labels), 3
        ),
        "second_draft_seconds_p50": round(
            float(np.median([s for _, s in seconds_drafts.values()])), 3
        ),
        "second_drafts_wall_seconds": round(wall_s, 1),
        "wall_seconds_per_second_draft": round(wall_s / max(1, len(examples)), 3),
    }
    print(json.dumps(figures, indent=2))
    write_result("draft_agreement", figures)


if __name__ == "__main__":
    main()
