"""Shift the drafted-answer calibrator's intercept to the drafts the product writes end to end.

The calibrator (``assistant/models/calibrator.json``) is fitted on the generator's answers to
questions handed to it alone (``bench.own_answers``). In the product the language model drafts
only what the table and span readers leave, the harder questions, so the same signals mean a
lower chance of being right. This refits the intercept alone (a prior shift: the logit of each
confidence plus one constant, fitted by maximum likelihood) on the judged drafts of
training-side TAT-QA contexts answered end to end, reports log loss and the mean gap between
confidence and accuracy on a kept-aside half of them before and after, and saves the calibrator
with its bias shifted by the fit on all of them. Drafts withheld outright (confidence 0, from
the source and kind checks) are not the calibrator's and are left out.

    python -m bench.tatqa_answers --data ../shared/data --split train
    python -m training.guard.fit_draft_prior
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

from assistant.guard.calibrator import BUNDLED_CALIBRATOR
from bench.common import RESULTS_DIR

PREDICTIONS = RESULTS_DIR / "tatqa_answers_train_predictions.jsonl"
EPSILON = 1e-6
MAX_SHIFT = 5.0


def judged_drafts(path: Path) -> list[tuple[str, float, bool]]:
    """(question id, confidence, right) of every draft the calibrator judged."""
    drafts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record: dict[str, Any] = json.loads(line)
        if record["read_from_table"] or record["read_from_span"]:
            continue
        confidence = record.get("confidence")
        if confidence is None or confidence <= 0:
            continue
        if "judged_right" not in record:
            raise SystemExit(f"{path} predates judged answers: answer the questions again")
        drafts.append((str(record["uid"]), float(confidence), bool(record["judged_right"])))
    return drafts


def _logit(p: float) -> float:
    p = min(max(p, EPSILON), 1 - EPSILON)
    return math.log(p / (1 - p))


def shifted(confidence: float, shift: float) -> float:
    return 1 / (1 + math.exp(-(_logit(confidence) + shift)))


def log_loss(drafts: Sequence[tuple[str, float, bool]], shift: float) -> float:
    total = 0.0
    for _, confidence, right in drafts:
        p = min(max(shifted(confidence, shift), EPSILON), 1 - EPSILON)
        total -= math.log(p if right else 1 - p)
    return total / len(drafts)


def fit_shift(drafts: Sequence[tuple[str, float, bool]]) -> float:
    """The constant added to every logit that makes the drafts' confidences most likely."""
    found = minimize_scalar(
        lambda s: log_loss(drafts, s), bounds=(-MAX_SHIFT, MAX_SHIFT), method="bounded"
    )
    return float(found.x)


def gap(drafts: Sequence[tuple[str, float, bool]], shift: float) -> float:
    """Mean confidence less accuracy: how over-confident the drafts are on average."""
    mean = sum(shifted(c, shift) for _, c, _ in drafts) / len(drafts)
    return mean - sum(r for _, _, r in drafts) / len(drafts)


def kept_aside(uid: str) -> bool:
    return hashlib.sha256(uid.encode()).digest()[0] % 2 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--predictions", type=Path, default=PREDICTIONS)
    parser.add_argument("--calibrator", type=Path, default=BUNDLED_CALIBRATOR)
    args = parser.parse_args()
    if args.predictions.stat().st_mtime < args.calibrator.stat().st_mtime:
        raise SystemExit(
            "the predictions are older than the calibrator: answer the training-side questions "
            "again with it first, so the shift is measured from what it says now"
        )
    drafts = judged_drafts(args.predictions)
    report = [d for d in drafts if kept_aside(d[0])]
    fit = [d for d in drafts if not kept_aside(d[0])]
    if len(report) < 10 or len(fit) < 10:
        raise SystemExit(f"too few judged drafts ({len(drafts)}): answer more contexts")
    half_shift = fit_shift(fit)
    print(f"{len(drafts)} judged drafts, {sum(r for *_, r in drafts)} right")
    print(
        f"kept-aside half ({len(report)}): log loss {log_loss(report, 0.0):.3f} -> "
        f"{log_loss(report, half_shift):.3f}, confidence less accuracy "
        f"{gap(report, 0.0):+.3f} -> {gap(report, half_shift):+.3f} "
        f"(shift {half_shift:+.3f} fitted on the other half)"
    )
    shift = fit_shift(drafts)
    payload = json.loads(args.calibrator.read_text(encoding="utf-8"))
    payload["bias"] = float(payload["bias"]) + shift
    payload["draft_prior_shift"] = float(payload.get("draft_prior_shift", 0.0)) + shift
    temporary = args.calibrator.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    temporary.replace(args.calibrator)
    print(f"bias shifted by {shift:+.3f}; saved {args.calibrator}")


if __name__ == "__main__":
    main()
