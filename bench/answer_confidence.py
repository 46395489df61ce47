"""How well the shown confidence tells the product's right answers from its wrong ones, end to end.

The end-to-end answer benchmarks (``bench.tatqa_answers``, ``bench.sample_answers``,
``bench.financebench_answers``) ask every question through ``Assistant.ask`` as shipped and keep,
for each answer the check judged, its confidence and whether the judged answer (shown, or the
draft a withheld one replaced) states the gold. This script reads their prediction files and
reports, per domain and pooled: the confidence's AUROC (right against wrong), the expected
calibration error over 10 bins beside the error a perfectly calibrated confidence would show on
as many answers, the accuracy of the answers shown at the default threshold, and how many wrong
answers were shown at 0.9 or more (the share of questions shown is in each benchmark's own
table). An answer to
an unanswerable question is always wrong; a question the model declined by itself was not
judged and is left out. The pooled reliability diagram and risk-coverage curve are written
next to the JSON.

    python -m bench.answer_confidence
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sklearn.metrics import roc_auc_score

from assistant.settings import GuardSettings
from bench.calibration_metrics import calibration_noise, expected_calibration_error
from bench.common import RESULTS_DIR, print_table, write_result
from bench.guard_eval import plot_calibration

SOURCES = {
    "tatqa_answers_predictions.jsonl": "finance tables (TAT-QA held-out)",
    "financebench_answers_predictions.jsonl": "finance filings (FinanceBench)",
    "sample_answers_predictions.jsonl": "bundled samples",
}
SAMPLE_DOMAINS = {
    "lookup": "finance tables (samples)",
    "arithmetic": "finance tables (samples)",
    "clause": "legal clauses (samples)",
    "clinical": "clinical text (samples)",
    "unanswerable": "unanswerable (samples)",
}
SURE = 0.9


def judged_answers(results: Path) -> list[dict[str, Any]]:
    """Every judged answer of the prediction files present, with its domain."""
    answers = []
    for name, domain in SOURCES.items():
        path = results / name
        if not path.exists():
            print(f"skipped {name}: not found (run its benchmark first)")
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("confidence") is None:
                continue
            if "judged_right" not in record:
                raise SystemExit(f"{name} predates judged answers: run its benchmark again")
            kind = record.get("kind", "")
            answers.append(
                {
                    "domain": SAMPLE_DOMAINS.get(kind, domain) if "samples" in domain else domain,
                    "confidence": float(record["confidence"]),
                    "right": bool(record["judged_right"]),
                    "shown": bool(record["shown"]),
                    "answerable": kind != "unanswerable",
                }
            )
    return answers


def figures_of(answers: list[dict[str, Any]]) -> dict[str, Any]:
    confidences = [a["confidence"] for a in answers]
    right = [a["right"] for a in answers]
    shown = [a for a in answers if a["shown"]]
    both = 0 < sum(right) < len(right)
    noise = calibration_noise(confidences)
    return {
        "judged": len(answers),
        "right": sum(right),
        "auroc": float(roc_auc_score(right, confidences)) if both else None,
        "ece": expected_calibration_error(confidences, right),
        "ece_if_perfectly_calibrated": {"mean": noise.mean, "p95": noise.p95},
        "shown": len(shown),
        "right_among_shown": sum(a["right"] for a in shown) / len(shown) if shown else None,
        "wrong_shown_at_or_above_0.9": sum(
            1 for a in shown if not a["right"] and a["confidence"] >= SURE
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    answers = judged_answers(args.results)
    if not answers:
        raise SystemExit("no judged answers found")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for answer in answers:
        groups[answer["domain"]].append(answer)
    groups["all"] = answers
    figures: dict[str, Any] = {"threshold": GuardSettings().threshold}
    table = []
    for domain, group in groups.items():
        found = figures_of(group)
        figures[domain] = found
        table.append(
            [
                domain,
                found["judged"],
                found["right"],
                "-" if found["auroc"] is None else f"{found['auroc']:.3f}",
                f"{found['ece']:.3f} ({found['ece_if_perfectly_calibrated']['p95']:.3f})",
                found["shown"],
                "-" if found["right_among_shown"] is None else f"{found['right_among_shown']:.0%}",
                found["wrong_shown_at_or_above_0.9"],
            ]
        )
    print_table(
        [
            "domain",
            "judged",
            "right",
            "AUROC",
            "ECE (95% level if perfect)",
            "shown",
            "right among shown",
            "wrong shown at >= 0.9",
        ],
        table,
    )
    figures["plots"] = plot_calibration(
        [a["confidence"] for a in answers],
        [a["right"] for a in answers],
        args.results,
        prefix="answer_confidence",
        subset="end to end",
    )
    write_result("answer_confidence", figures)


if __name__ == "__main__":
    main()
