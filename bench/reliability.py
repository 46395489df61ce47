"""The reliability suite: load, faults, hostile input and access control, in one command that
writes the reliability table of docs/results.md.

    python -m bench.reliability [--reuse-load] [--postgres-url URL] [--readme docs/results.md]

It runs every test marked ``reliability(area, label)`` (kill -9 during ingestion, a database
write and an index save; a full tmpfs; PostgreSQL restarted and stopped; parser fuzzing and
hostile files; prompt injection; the API and UI access sweeps) and the API load benchmark
(``bench.load_api``; ``--reuse-load`` takes its last saved figures instead), then replaces the
table between that page's reliability markers. Tests that cannot run on this machine (no
PostgreSQL, no right to mount a tmpfs) are counted as skipped, never as passed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.common import RESULTS_DIR, write_result

ROOT = Path(__file__).resolve().parents[1]
AREAS = ("load", "faults", "hostile input", "access control")
START_MARK = "<!-- reliability-table:start -->"
END_MARK = "<!-- reliability-table:end -->"
_EXAMPLES = re.compile(r"(\d+) passing(?: examples)?,")


@dataclass(frozen=True)
class CaseResult:
    """One test case of the suite and how it ended; ``inputs`` counts the generated examples
    of a property-based test (1 for an ordinary case)."""

    area: str
    label: str
    outcome: str
    inputs: int
    seconds: float


@dataclass(frozen=True)
class Row:
    area: str
    label: str
    cases: int
    passed: int
    failed: int
    skipped: int
    inputs: int
    seconds: float

    @property
    def verdict(self) -> str:
        if self.failed:
            return "**FAILED**"
        return "not run here" if self.passed == 0 else "held"


class Collector:
    """A pytest plugin that records the area, label and outcome of every reliability case."""

    def __init__(self) -> None:
        self.results: list[CaseResult] = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        marker = item.get_closest_marker("reliability")
        if marker is None:
            return
        area, label = marker.args[0], marker.args[1] if len(marker.args) > 1 else item.name
        if report.when == "call" or (report.when == "setup" and not report.passed):
            statistics = str(getattr(item, "hypothesis_statistics", ""))
            examples = sum(int(n) for n in _EXAMPLES.findall(statistics))
            self.results.append(
                CaseResult(area, label, report.outcome, max(examples, 1), report.duration)
            )


def summarise(cases: Iterable[CaseResult]) -> list[Row]:
    """One row per area and label, in the order of ``AREAS`` and then of first appearance."""
    grouped: dict[tuple[str, str], list[CaseResult]] = {}
    for case in cases:
        grouped.setdefault((case.area, case.label), []).append(case)
    rows = [
        Row(
            area=area,
            label=label,
            cases=len(group),
            passed=sum(c.outcome == "passed" for c in group),
            failed=sum(c.outcome == "failed" for c in group),
            skipped=sum(c.outcome == "skipped" for c in group),
            inputs=sum(c.inputs for c in group if c.outcome == "passed"),
            seconds=sum(c.seconds for c in group),
        )
        for (area, label), group in grouped.items()
    ]
    order = {area: n for n, area in enumerate(AREAS)}
    return sorted(rows, key=lambda r: order.get(r.area, len(AREAS)))


def load_row(load: dict[str, Any]) -> list[str]:
    """The table row of a ``bench.load_api`` result."""
    ask, upload = load["ask"], load["upload"]
    tried = (
        f"{load['users']} users asking {load['questions_per_user']} questions each through the "
        f"API while {load['uploads']} documents are uploaded ({load['storage']})"
    )
    outcome = (
        f"ask p50 {ask['p50_s']:.1f} s, p95 {ask['p95_s']:.1f} s; upload p95 "
        f"{upload['p95_s']:.2f} s; errors {load['errors']}; storage and indexes agree: "
        f"{'yes' if load['index_consistent'] else 'NO'}"
    )
    held = (
        load["errors"] == 0
        and load["index_consistent"]
        and not load["uploaded_missing_from_listing"]
    )
    return [
        "load",
        tried,
        str(ask["requests"] + upload["requests"]),
        outcome,
        "held" if held else "**FAILED**",
    ]


def table(rows: Sequence[Row], load: dict[str, Any] | None) -> str:
    """The Markdown table for the results page."""
    lines = [
        "| area | what was tried | cases (inputs) | outcome | verdict |",
        "|---|---|---|---|---|",
    ]
    if load is not None:
        lines.append("| " + " | ".join(load_row(load)) + " |")
    for row in rows:
        inputs = f" ({row.inputs})" if row.inputs > row.passed else ""
        outcome = f"{row.passed} passed, {row.failed} failed"
        if row.skipped:
            outcome += f", {row.skipped} skipped"
        lines.append(
            f"| {row.area} | {row.label} | {row.cases}{inputs} | {outcome} | {row.verdict} |"
        )
    return "\n".join(lines)


def splice(readme: str, block: str) -> str:
    """``readme`` with the text between the reliability markers replaced by ``block``."""
    start, end = readme.find(START_MARK), readme.find(END_MARK)
    if start < 0 or end < start:
        raise ValueError(f"the page has no {START_MARK} ... {END_MARK} section")
    return readme[: start + len(START_MARK)] + "\n" + block + "\n" + readme[end:]


def run_tests(extra_args: Sequence[str]) -> list[CaseResult]:
    collector = Collector()
    pytest.main(
        ["-m", "reliability", "-q", "-p", "no:cacheprovider", "--no-header", *extra_args],
        plugins=[collector],
    )
    return collector.results


def run_load() -> dict[str, Any]:
    subprocess.run([sys.executable, "-m", "bench.load_api"], cwd=ROOT, check=True)
    return saved_load()


def saved_load() -> dict[str, Any]:
    path = RESULTS_DIR / "load_api.json"
    if not path.is_file():
        sys.exit(f"no load results at {path}: run without --reuse-load")
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse-load", action="store_true", help="Use the last load results.")
    parser.add_argument("--postgres-url", help="Server for the PostgreSQL variants of the tests.")
    parser.add_argument("--readme", type=Path, default=ROOT / "docs" / "results.md")
    args = parser.parse_args(argv)
    if args.postgres_url:
        os.environ["ASSISTANT_TEST_POSTGRES_URL"] = args.postgres_url
    cases = run_tests([str(ROOT / "tests")])
    load = saved_load() if args.reuse_load else run_load()
    rows = summarise(cases)
    block = table(rows, load)
    print(block)
    write_result(
        "reliability",
        {
            "rows": [asdict(r) for r in rows],
            "load_measured_at": load.get("measured_at"),
            "failed": sum(r.failed for r in rows),
        },
    )
    args.readme.write_text(splice(args.readme.read_text(encoding="utf-8"), block), "utf-8")
    held = all(r.failed == 0 for r in rows) and load_row(load)[-1] == "held"
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
