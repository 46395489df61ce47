"""How well answers are checked: hallucination detection, calibration, and the time it adds.

Detection is measured where it matters, each time beside the two trivial baselines (answer
length, and the share of answer words absent from the evidence), which no detector uses:

* the held-out part of the perturbation set (datasets and edit types never trained on);
* HaluEval QA rows of the held-out split, all of them and the length-matched ones;
* the product's own answers (``bench.own_answers``), labelled correct or incorrect by
  ``bench.answer_labels``; an answer's score is its least supported sentence.

Calibration is fitted on one half of the own answers (by a hash of the question id) and reported
on the other: expected calibration error over 10 bins, the reliability diagram and the
risk-coverage curve (PNG files next to the JSON result). ``--save-calibrator`` stores the fitted
calibrator as the bundled one. The same figures are also given cross-fitted over all own answers
(each answer's confidence from a calibrator fitted on the other folds), which measures the same
fitting procedure on more than twice as many answers, so with less sampling noise.

    python -m bench.guard_eval --data ../shared/data --save-calibrator
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score

from assistant.collection_settings import answer_threshold
from assistant.generation.citations import CitedSentence
from assistant.guard.calibrator import (
    BUNDLED_CALIBRATOR,
    FEATURES,
    AnswerSignals,
    Calibrator,
    answer_features,
)
from assistant.guard.cross_encoder import BUNDLED_DETECTOR, CrossEncoderDetector, pair_for
from assistant.guard.facts import FactDetector
from assistant.guard.phrases import PhraseDetector
from assistant.guard.policy import AnswerChecker, detection_input
from assistant.guard.protocols import DetectionInput, HallucinationDetector, SentenceToCheck
from assistant.reading.span_model import SpanModel
from assistant.reading.span_reader import SpanReader, load_span_calibrator
from assistant.settings import GuardSettings, Settings
from bench.answer_labels import is_correct
from bench.calibration_metrics import (
    accuracy_at_coverage,
    calibration_noise,
    expected_calibration_error,
    reliability,
    risk_coverage,
)
from bench.common import RESULTS_DIR, eval_data_dir, print_table, write_result
from bench.detection_baselines import absent_word_fraction, answer_length_score, best_f1
from bench.own_answers import ANSWERS
from training.guard.detector_data import (
    TRAIN_DATASETS,
    TRAIN_EDIT_TYPES,
    LabelledClaim,
    as_claim,
    halueval_claims,
    perturbation_claims,
)
from training.guard.fit_calibrator import fit_calibrator
from training.guard.perturb import EDIT_TYPES
from training.guard.perturbation_set import DATASETS, build, split

SENTENCE_THRESHOLD = 0.5


def detection_row(
    name: str, hallucinated: Sequence[bool], scores: Mapping[str, Sequence[float]]
) -> dict[str, Any]:
    """AUROC of each score at flagging the unsupported items; F1 and balanced accuracy at the
    product's fixed threshold for detectors, at the best threshold for the baselines."""
    row: dict[str, Any] = {
        "set": name,
        "items": len(hallucinated),
        "unsupported": sum(hallucinated),
    }
    for method, values in scores.items():
        row[f"{method}_auroc"] = round(float(roc_auc_score(hallucinated, values)), 3)
        if method.startswith("baseline"):
            f1, threshold = best_f1(hallucinated, values)
            predictions = [v >= threshold for v in values]
        else:
            predictions = [v > 1 - SENTENCE_THRESHOLD for v in values]
            f1 = float(f1_score(hallucinated, predictions, zero_division=0.0))
        row[f"{method}_f1"] = round(f1, 3)
        row[f"{method}_balanced_accuracy"] = round(
            float(balanced_accuracy_score(hallucinated, predictions)), 3
        )
    return row


def claim_scores(
    claims: Sequence[LabelledClaim],
    model: CrossEncoderDetector | None,
    facts: FactDetector,
    phrases: PhraseDetector,
) -> dict[str, list[float]]:
    """Hallucination scores (1 - support) per claim, for each method."""
    inputs = [
        DetectionInput(c.question, (SentenceToCheck(c.sentence, c.evidence),), c.evidence)
        for c in claims
    ]
    fact_support = [facts.detect(item)[0].probability for item in inputs]
    phrase_support = [phrases.detect(item)[0].probability for item in inputs]
    scores = {
        "facts": [1 - p for p in fact_support],
        "phrases": [1 - p for p in phrase_support],
        "facts_and_phrases": [
            1 - min(a, b) for a, b in zip(fact_support, phrase_support, strict=True)
        ],
    }
    if model is not None:
        pairs = [pair_for(c.question, c.sentence, c.evidence) for c in claims]
        model_support: list[float] = []
        for start in range(0, len(pairs), 32):
            model_support.extend(model.score(pairs[start : start + 32]))
        scores["cross_encoder"] = [1 - p for p in model_support]
        scores["combined"] = [
            1 - min(a, b) for a, b in zip(model_support, fact_support, strict=True)
        ]
    scores["baseline_length"] = [answer_length_score(c.sentence) for c in claims]
    scores["baseline_absent_words"] = [absent_word_fraction(c.sentence, c.evidence) for c in claims]
    return scores


CROSS_FIT_FOLDS = 5


def in_report_half(example_id: str) -> bool:
    """Own answers are split in two by a hash of the question id: fit half and report half."""
    return int(hashlib.sha256(example_id.encode()).hexdigest()[:8], 16) % 2 == 1


def cross_fit_fold(example_id: str) -> int:
    """The fold of an own answer for cross-fitting, from other digits of the same hash."""
    return int(hashlib.sha256(example_id.encode()).hexdigest()[8:16], 16) % CROSS_FIT_FOLDS


def judged_answers(
    records: Sequence[dict[str, Any]], checker: AnswerChecker, reader: SpanReader | None = None
) -> list[tuple[dict[str, Any], AnswerSignals, float]]:
    """Each drafted (not abstained) answer with its calibrator signals and the seconds the
    detectors and features took (the span reader's own time, spent before the draft in the
    product, not counted)."""
    judged = []
    for record in records:
        if record["abstained"] or not record["sentences"]:
            continue
        sentences = [CitedSentence(s["text"], tuple(s["citations"])) for s in record["sentences"]]
        guess = None if reader is None else reader.best(record["question"], record["passages"])
        started = time.perf_counter()
        signals, _ = checker.judge(
            record["question"], sentences, record["passages"], record["token_logprobs"], guess
        )
        answer_features(signals)
        judged.append((record, signals, time.perf_counter() - started))
    return judged


def plot_calibration(
    confidences: Sequence[float],
    correct: Sequence[bool],
    out_dir: Path,
    prefix: str = "guard",
    subset: str = "report half",
) -> list[str]:
    """The reliability diagram and the risk-coverage curve, as ``<prefix>_*.png`` files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = reliability(confidences, correct)
    figure, axis = plt.subplots(figsize=(4.5, 4.5))
    axis.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    axis.bar(
        [b.low for b in bins],
        [b.accuracy for b in bins],
        width=0.1,
        align="edge",
        alpha=0.6,
        edgecolor="black",
        label="accuracy per bin",
    )
    axis.plot([b.confidence for b in bins], [b.accuracy for b in bins], "o-", label="bin mean")
    axis.set(
        xlabel="confidence",
        ylabel="share correct",
        xlim=(0, 1),
        ylim=(0, 1),
        title=f"Reliability ({subset})",
    )
    axis.legend(loc="upper left")
    reliability_png = out_dir / f"{prefix}_reliability.png"
    figure.tight_layout()
    figure.savefig(reliability_png, dpi=100)
    plt.close(figure)

    curve = risk_coverage(confidences, correct)
    figure, axis = plt.subplots(figsize=(4.5, 4.5))
    axis.plot([c for c, _ in curve], [a for _, a in curve])
    axis.set(
        xlabel="coverage (share of answers shown)",
        ylabel="accuracy of answers shown",
        xlim=(0, 1),
        ylim=(0, 1),
        title=f"Risk-coverage ({subset})",
    )
    coverage_png = out_dir / f"{prefix}_risk_coverage.png"
    figure.tight_layout()
    figure.savefig(coverage_png, dpi=100)
    plt.close(figure)
    return [reliability_png.name, coverage_png.name]


def cross_fitted(
    judged: Sequence[tuple[dict[str, Any], AnswerSignals, float]],
    labels: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    """Calibration figures over all answers, each confidence from a calibrator fitted on the
    answers of the other folds."""
    rows = [(cross_fit_fold(r["example_id"]), answer_features(s), labels(r)) for r, s, _ in judged]
    confidences: list[float] = []
    correct: list[bool] = []
    for fold in range(CROSS_FIT_FOLDS):
        fit = [(f, y) for k, f, y in rows if k != fold]
        held = [(f, y) for k, f, y in rows if k == fold]
        calibrator = fit_calibrator([f for f, _ in fit], [y for _, y in fit])
        confidences.extend(calibrator.probability(f) for f, _ in held)
        correct.extend(y for _, y in held)
    curve = risk_coverage(confidences, correct)
    return {
        "folds": CROSS_FIT_FOLDS,
        "answers": len(correct),
        "correct": sum(correct),
        "ece_10_bins": round(expected_calibration_error(confidences, correct), 3),
        "ece_if_perfectly_calibrated": {
            key: round(value, 3) for key, value in asdict(calibration_noise(confidences)).items()
        },
        "accuracy_at_100": round(accuracy_at_coverage(curve, 1.0), 3),
        "accuracy_at_50": round(accuracy_at_coverage(curve, 0.5), 3),
        "confidence_auroc": round(float(roc_auc_score(correct, confidences)), 3),
    }


def by_source(
    sources: Sequence[str],
    confidences: Sequence[float],
    correct: Sequence[bool],
    threshold: float = 0.5,
) -> dict[str, dict[str, Any]]:
    """Per source of the question: how many answers, how many right, the confidence's AUROC
    and calibration error, and what the default threshold shows."""
    figures = {}
    for source in sorted(set(sources)):
        chosen = [i for i, s in enumerate(sources) if s == source]
        mine = [confidences[i] for i in chosen]
        right = [correct[i] for i in chosen]
        shown = [y for c, y in zip(mine, right, strict=True) if c >= threshold]
        figures[source] = {
            "answers": len(chosen),
            "correct": sum(right),
            "confidence_auroc": round(float(roc_auc_score(right, mine)), 3)
            if 0 < sum(right) < len(right)
            else None,
            "ece_10_bins": round(expected_calibration_error(mine, right), 3),
            "ece_if_perfectly_calibrated_p95": round(calibration_noise(mine).p95, 3),
            "shown": len(shown),
            "correct_among_shown": round(sum(shown) / len(shown), 3) if shown else None,
            "wrong_shown_at_0_9": sum(
                1 for c, y in zip(mine, right, strict=True) if c >= 0.9 and not y
            ),
        }
    return figures


def calibration(
    judged: Sequence[tuple[dict[str, Any], AnswerSignals, float]],
    labels: Callable[[dict[str, Any]], bool],
) -> tuple[dict[str, Any], Calibrator]:
    fit = [
        (answer_features(s), labels(r)) for r, s, _ in judged if not in_report_half(r["example_id"])
    ]
    reported = [item for item in judged if in_report_half(item[0]["example_id"])]
    held = [(answer_features(s), labels(r)) for r, s, _ in reported]
    calibrator = fit_calibrator([f for f, _ in fit], [y for _, y in fit])
    confidences = [calibrator.probability(f) for f, _ in held]
    correct = [y for _, y in held]
    raw = [f[0] for f, _ in held]
    curve = risk_coverage(confidences, correct)
    figures = {
        "fit_answers": len(fit),
        "fit_correct": sum(y for _, y in fit),
        "report_answers": len(held),
        "report_correct": sum(correct),
        "ece_10_bins": round(expected_calibration_error(confidences, correct), 3),
        "ece_if_perfectly_calibrated": {
            key: round(value, 3) for key, value in asdict(calibration_noise(confidences)).items()
        },
        "ece_raw_support": round(expected_calibration_error(raw, correct), 3),
        "accuracy_at_100": round(accuracy_at_coverage(curve, 1.0), 3),
        "accuracy_at_50": round(accuracy_at_coverage(curve, 0.5), 3),
        "by_threshold": [
            {
                "threshold": t,
                "shown": round(sum(c >= t for c in confidences) / len(confidences), 3),
                "accuracy_shown": round(
                    sum(y for c, y in zip(confidences, correct, strict=True) if c >= t)
                    / max(1, sum(c >= t for c in confidences)),
                    3,
                ),
            }
            for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
        ],
        "confidence_auroc": round(float(roc_auc_score(correct, confidences)), 3),
        "by_source": by_source(
            [r["source"] if r["answerable"] else "unanswerable" for r, _, _ in reported],
            confidences,
            correct,
        ),
        "cross_fitted": cross_fitted(judged, labels),
        "weights": dict(
            zip(("bias", *FEATURES), (calibrator.bias, *calibrator.weights), strict=True)
        ),
        "plots": plot_calibration(confidences, correct, RESULTS_DIR),
        "bins": [
            {
                "low": b.low,
                "count": b.count,
                "confidence": round(b.confidence, 3),
                "accuracy": round(b.accuracy, 3),
            }
            for b in reliability(confidences, correct)
        ],
    }
    return figures, calibrator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--answers", type=Path, default=ANSWERS)
    parser.add_argument("--detector", type=Path, default=BUNDLED_DETECTOR)
    parser.add_argument("--halueval-rows", type=int, default=400)
    parser.add_argument("--save-calibrator", action="store_true")
    parser.add_argument(
        "--with-cross-encoder",
        action="store_true",
        help="check answers with the trained cross-encoder too (reported whenever it exists)",
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--limit", type=int, default=None, help="at most this many claims per set (a quick look)"
    )
    args = parser.parse_args()
    data_dir = eval_data_dir(args.data)
    if not args.answers.is_file():
        sys.exit(f"no answers at {args.answers}: run python -m bench.own_answers first")
    model: CrossEncoderDetector | None = None
    if (args.detector / "adapter_config.json").is_file():
        model = CrossEncoderDetector(args.detector, threads=args.threads)
        model.warm_up()
    elif args.with_cross_encoder:
        sys.exit(f"no trained cross-encoder in {args.detector}")
    facts = FactDetector()
    phrases = PhraseDetector()

    rows = []
    held_out = perturbation_claims(data_dir)[1]
    sets: list[tuple[str, list[LabelledClaim]]] = [
        ("perturbation held-out (new dataset, new edits)", held_out)
    ]
    items = build(data_dir)
    other_types = [t for t in EDIT_TYPES if t not in TRAIN_EDIT_TYPES]
    other_datasets = [d for d in DATASETS if d not in TRAIN_DATASETS]
    new_edits = split(items, TRAIN_DATASETS, other_types)[0]
    new_dataset = split(items, other_datasets, TRAIN_EDIT_TYPES)[0]
    sets.append(("perturbation, seen datasets, new edits", [as_claim(i) for i in new_edits]))
    sets.append(("perturbation, new dataset, seen edits", [as_claim(i) for i in new_dataset]))
    for dataset in sorted({c.origin for c in held_out}):
        sets.append((f"  of which {dataset}", [c for c in held_out if c.origin == dataset]))
    for edit in sorted({c.edit_type for c in held_out if c.edit_type}):
        chosen = [
            c for c in held_out if c.edit_type == edit or (c.supported and c.edit_type is None)
        ]
        sets.append((f"  edit {edit} (with all supported)", chosen))
    full = list(halueval_claims(data_dir, "eval", length_matched=False))[: 2 * args.halueval_rows]
    sets.append(("HaluEval held-out rows", full))
    sets.append(("HaluEval length-matched", list(halueval_claims(data_dir, "eval"))))
    for name, claims in sets:
        claims = claims[: args.limit]
        scores = claim_scores(claims, model, facts, phrases)
        rows.append(detection_row(name, [not c.supported for c in claims], scores))
        print(f"scored {name}: {len(claims)}", flush=True)

    records = [
        json.loads(line) for line in args.answers.read_text(encoding="utf-8").splitlines() if line
    ][: args.limit]

    def label(record: dict[str, Any]) -> bool:
        return is_correct(
            record["source"],
            record["answerable"],
            record["answer"],
            record["abstained"],
            record["answers"],
        )

    checked_by: list[HallucinationDetector] = [facts, phrases]
    if args.with_cross_encoder and model is not None:
        checked_by.append(model)
    checker = AnswerChecker(
        detectors=checked_by,
        calibrator=Calibrator((0.0,), (1.0,), (0.0,), 0.0),
        threshold=partial(answer_threshold, GuardSettings(threshold=0.5)),
    )
    reader = SpanReader(
        SpanModel(cache_dir=Settings().model_cache_dir),
        load_span_calibrator(),
        min_confidence=Settings().generation.span_reader_min_confidence,
    )
    judged = judged_answers(records, checker, reader)
    wrong = [not label(r) for r, _, _ in judged]
    inputs = [
        detection_input(
            r["question"],
            [CitedSentence(x["text"], tuple(x["citations"])) for x in r["sentences"]],
            r["passages"],
        )
        for r, _, _ in judged
    ]
    fact_min = [min(v.probability for v in facts.detect(item)) for item in inputs]
    phrase_min = [min(v.probability for v in phrases.detect(item)) for item in inputs]
    own_scores: dict[str, list[float]] = {
        "facts": [1 - p for p in fact_min],
        "phrases": [1 - p for p in phrase_min],
        "facts_and_phrases": [1 - min(a, b) for a, b in zip(fact_min, phrase_min, strict=True)],
    }
    if model is not None:
        model_min = [min(v.probability for v in model.detect(item)) for item in inputs]
        own_scores["cross_encoder"] = [1 - p for p in model_min]
        own_scores["combined"] = [1 - min(a, b) for a, b in zip(model_min, fact_min, strict=True)]
    own_scores["baseline_length"] = [answer_length_score(r["answer"]) for r, _, _ in judged]
    own_scores["baseline_absent_words"] = [
        absent_word_fraction(r["answer"], r["passages"]) for r, _, _ in judged
    ]
    rows.append(detection_row("own answers (incorrect = positive)", wrong, own_scores))
    calibration_figures, calibrator = calibration(judged, label)
    seconds = [t for _, _, t in judged]
    latency = {
        "answers": len(seconds),
        "p50_ms": round(1000 * float(np.median(seconds)), 1),
        "p95_ms": round(1000 * float(np.percentile(seconds, 95, method="higher")), 1),
    }
    methods = [m for m in own_scores if f"{m}_auroc" in rows[0]]
    shipped = "combined" if "combined" in own_scores else "facts_and_phrases"
    print_table(
        [
            "set",
            "n",
            "unsupported",
            *[f"{m} AUROC" for m in methods],
            f"{shipped} F1",
            f"{shipped} bal. acc.",
        ],
        [
            [
                r["set"],
                r["items"],
                r["unsupported"],
                *[r[f"{m}_auroc"] for m in methods],
                r[f"{shipped}_f1"],
                r[f"{shipped}_balanced_accuracy"],
            ]
            for r in rows
        ],
    )
    print(json.dumps(calibration_figures, indent=2))
    print(f"check latency per answer: {latency}")
    if args.save_calibrator:
        calibrator.save(BUNDLED_CALIBRATOR)
        print(f"calibrator saved to {BUNDLED_CALIBRATOR}")
    write_result(
        "guard_eval",
        {
            "command": "python -m bench.guard_eval " + " ".join(sys.argv[1:]),
            "own_answers": len(records),
            "drafted_answers": len(judged),
            "detection": rows,
            "calibration": calibration_figures,
            "latency": latency,
        },
    )


if __name__ == "__main__":
    main()
