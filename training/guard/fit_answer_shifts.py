"""Fit the confidence shift of each answer path to the product's answers end to end.

Each path (table reading, span reading, draft of the language model) has its own calibrated
confidence, fitted on its own kind of example; ``assistant/guard/answer_shifts.py`` says why they
drift end to end. This fits, per path, the one constant added to the logit of every confidence
(slope fixed at 1) by maximum likelihood, on the judged answers of training-side TAT-QA
contexts answered end to end, reports log loss and the mean gap between confidence and
accuracy on a kept-aside half (by question) before and after, and saves the shifts fitted on
all of them, added to those in force when the questions were answered. Answers withheld
outright (confidence 0, from the source and kind checks) carry no calibrated confidence and are
left out.

Span readings are not fitted by default: TAT-QA's text answers are mostly whole sentences, so a
span that gives exactly the figure or name asked for is judged wrong there, and a shift fitted
on them would withhold the span reader's clause answers too (``--paths`` names the paths to fit).

    python -m bench.tatqa_answers --data ../shared/data --split train --limit 120
    python -m training.guard.fit_answer_shifts
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scipy.optimize import minimize_scalar

from assistant.guard.answer_shifts import BUNDLED_SHIFTS, ConfidenceShifts, shift_confidence
from bench.common import RESULTS_DIR

PREDICTIONS = RESULTS_DIR / "tatqa_answers_train_predictions.jsonl"
EPSILON = 1e-6
MAX_SHIFT = 5.0
MIN_ANSWERS = 10

Judged = tuple[str, float, bool]


def path_of(record: dict[str, Any]) -> str:
    if record["read_from_table"]:
        return "table"
    return "span" if record["read_from_span"] else "draft"


def judged_answers(path: Path) -> dict[str, list[Judged]]:
    """(question id, confidence, right) of every calibrated answer, per path."""
    found: dict[str, list[Judged]] = {"table": [], "span": [], "draft": []}
    for line in path.read_text(encoding="utf-8").splitlines():
        record: dict[str, Any] = json.loads(line)
        confidence = record.get("confidence")
        if confidence is None or confidence <= 0:
            continue
        if "judged_right" not in record:
            raise SystemExit(f"{path} predates judged answers: answer the questions again")
        found[path_of(record)].append(
            (str(record["uid"]), float(confidence), bool(record["judged_right"]))
        )
    return found


def shifted(confidence: float, shift: float) -> float:
    return shift_confidence(min(max(confidence, EPSILON), 1 - EPSILON), shift)


def log_loss(answers: Sequence[Judged], shift: float) -> float:
    total = 0.0
    for _, confidence, right in answers:
        p = min(max(shifted(confidence, shift), EPSILON), 1 - EPSILON)
        total -= math.log(p if right else 1 - p)
    return total / len(answers)


def fit_shift(answers: Sequence[Judged]) -> float:
    """The constant added to every logit that makes the answers' labels most likely."""
    found = minimize_scalar(
        lambda s: log_loss(answers, s), bounds=(-MAX_SHIFT, MAX_SHIFT), method="bounded"
    )
    return float(found.x)


def gap(answers: Sequence[Judged], shift: float) -> float:
    """Mean confidence less accuracy: how over-confident the answers are on average."""
    mean = sum(shifted(c, shift) for _, c, _ in answers) / len(answers)
    return mean - sum(r for _, _, r in answers) / len(answers)


def kept_aside(uid: str) -> bool:
    return hashlib.sha256(uid.encode()).digest()[0] % 2 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--predictions", type=Path, default=PREDICTIONS)
    parser.add_argument("--out", type=Path, default=BUNDLED_SHIFTS)
    parser.add_argument("--paths", default="table,draft", help="paths to fit, comma-separated")
    args = parser.parse_args()
    chosen = set(args.paths.split(","))
    if args.out.exists() and args.predictions.stat().st_mtime < args.out.stat().st_mtime:
        raise SystemExit(
            "the predictions are older than the shifts: answer the training-side questions "
            "again with them first, so each shift is measured from what the product says now"
        )
    current = ConfidenceShifts.load(args.out) if args.out.exists() else ConfidenceShifts()
    fitted: dict[str, float] = {}
    counts: dict[str, int] = (
        json.loads(args.out.read_text(encoding="utf-8")).get("fitted_on", {})
        if args.out.exists()
        else {}
    )
    for path, answers in judged_answers(args.predictions).items():
        report = [a for a in answers if kept_aside(a[0])]
        fit = [a for a in answers if not kept_aside(a[0])]
        if path not in chosen:
            print(f"{path}: not fitted; shift kept")
            fitted[path] = getattr(current, path)
            continue
        if len(report) < MIN_ANSWERS or len(fit) < MIN_ANSWERS:
            print(f"{path}: {len(answers)} judged answers, too few to fit; shift kept")
            fitted[path] = getattr(current, path)
            continue
        half = fit_shift(fit)
        print(
            f"{path}: {len(answers)} judged, {sum(r for *_, r in answers)} right; kept-aside "
            f"half ({len(report)}): log loss {log_loss(report, 0.0):.3f} -> "
            f"{log_loss(report, half):.3f}, confidence less accuracy {gap(report, 0.0):+.3f} -> "
            f"{gap(report, half):+.3f} (shift {half:+.3f} fitted on the other half)"
        )
        fitted[path] = getattr(current, path) + fit_shift(answers)
        counts[path] = len(answers)
    shifts = ConfidenceShifts(**fitted)
    shifts.save(args.out, fitted_on=counts, predictions=args.predictions.name)
    print(f"shifts {shifts}; saved {args.out}")


if __name__ == "__main__":
    main()
