"""Helpers shared by the benchmarks: where the evaluation data is, how results are kept, and how
timings are summarised."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from assistant.answering import Answer

RESULTS_DIR = Path(__file__).parent / "results"


def eval_data_dir(explicit: Path | None) -> Path:
    """The public evaluation sets; exits with a clear message when they are not present."""
    candidates = [explicit] if explicit else []
    if os.environ.get("ASSISTANT_EVAL_DATA"):
        candidates.append(Path(os.environ["ASSISTANT_EVAL_DATA"]))
    for candidate in candidates:
        if candidate and candidate.is_dir():
            return candidate
    sys.exit("evaluation data not found: pass --data DIR or set ASSISTANT_EVAL_DATA")


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Store a benchmark's figures with when and where they were measured."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    record = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **payload,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def judged_text(answer: Answer) -> str | None:
    """The answer the check judged: the shown text, or the draft a withheld answer replaced;
    ``None`` when nothing was judged (the model abstained by itself, or no check ran)."""
    check = answer.check
    if check is None or check.confidence is None:
        return None
    return check.withheld_text if check.withheld else answer.text


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """A plain Markdown table, ready to paste into docs/results.md."""
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")


def latency_ms(seconds: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile of timings in milliseconds; the 95th is the timing nearest to
    rank 0.95 (n - 1) of the sorted ones, so one some call really took."""
    if not seconds:
        raise ValueError("no timings")
    ms = np.asarray(seconds, dtype=float) * 1000
    return {
        "p50_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95, method="nearest")),
    }
