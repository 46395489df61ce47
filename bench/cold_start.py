"""Cold start of the command line: `assistant --help`, and a fresh `assistant ask` on the bundled
samples before the answer model is converted and after, for an answer read from a table, one
copied by the span reader and one drafted by the answer model.

Every run is a new process, as a user starts one, with its output piped. An ask is timed to the
first byte on standard output and to its exit. With the answer check on (the default) nothing is
shown before the answer is checked, so the first byte comes with the whole answer; with it off
the answer streams, and the first byte is the first token. Standard error is kept too: piped, it
should stay empty. The data directory is a temporary one with only the samples in it.

    python -m bench.cold_start [--help-runs 5] [--ask-runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.samples import SAMPLE_COLLECTION, sample_files
from bench.common import print_table, write_result

QUESTION = "What was Kestrel Ridge's total revenue in FY2025?"
"""Read from a table: needs the search model only."""
OTHER_QUESTIONS = {
    "copied words": "How long are backups retained under the Lumenfield agreement?",
    "drafted": "What dose of amlodipine was Rowan Elderglade discharged on?",
}
"""Answered by the span reader, and drafted by the answer model (whose draft the check may
withhold): each path loads more models than the one before."""
CLI = [sys.executable, "-c", "from assistant.cli import app; app()"]


@dataclass(frozen=True)
class Run:
    """One process: seconds to its first byte on standard output and to its exit."""

    first_byte_s: float
    exit_s: float
    exit_code: int
    stderr_bytes: int


def timed(arguments: list[str], env: dict[str, str]) -> Run:
    started = time.perf_counter()
    process = subprocess.Popen(
        [*CLI, *arguments], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    first = process.stdout.read(1)
    first_byte = time.perf_counter() - started
    _, stderr = process.communicate()
    ended = time.perf_counter() - started
    if not first:
        first_byte = ended
    return Run(round(first_byte, 3), round(ended, 3), process.returncode, len(stderr))


@dataclass(frozen=True)
class Timing:
    """Runs of one command line, with their medians."""

    label: str
    runs: list[Run]

    @property
    def first_byte_s(self) -> float:
        return round(statistics.median(run.first_byte_s for run in self.runs), 3)

    @property
    def exit_s(self) -> float:
        return round(statistics.median(run.exit_s for run in self.runs), 3)

    def as_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "first_byte_median_s": self.first_byte_s,
            "exit_median_s": self.exit_s,
            "runs": [asdict(run) for run in self.runs],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--help-runs", type=int, default=5)
    parser.add_argument("--ask-runs", type=int, default=3, help="Runs after the first, each.")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="cold-start-"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_DATA_DIR": str(data_dir)}
    streamed = {**env, "ASSISTANT_GUARD__ENABLED": "false"}
    ask = ["ask", QUESTION, "--collection", SAMPLE_COLLECTION]
    ingest = ["ingest", *map(str, sample_files()), "--collection", SAMPLE_COLLECTION]
    load_before = [round(figure, 2) for figure in os.getloadavg()]  # other work on the cores
    try:
        results = [
            Timing("assistant --help", [timed(["--help"], env) for _ in range(args.help_runs)])
        ]
        results.append(Timing("ingest the samples (not part of a start)", [timed(ingest, env)]))
        results.append(Timing("ask, answer model not converted yet", [timed(ask, env)]))
        checked = [timed(ask, env) for _ in range(args.ask_runs)]
        results.append(Timing("ask, converted (checked answer)", checked))
        stream = [timed(ask, streamed) for _ in range(args.ask_runs)]
        results.append(Timing("ask, converted, answer check off (streamed)", stream))
        for kind, question in OTHER_QUESTIONS.items():
            other = ["ask", question, "--collection", SAMPLE_COLLECTION]
            runs = [timed(other, env) for _ in range(args.ask_runs)]
            results.append(Timing(f"ask, converted, {kind} answer (checked)", runs))
            runs = [timed(other, streamed) for _ in range(args.ask_runs)]
            results.append(Timing(f"ask, converted, {kind} answer, check off (streamed)", runs))
        check = [timed(["prepare-models"], env) for _ in range(args.ask_runs)]
        results.append(Timing("prepare-models, already converted (checks it)", check))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    print_table(
        ["run", "first byte (s, median)", "exit (s, median)", "stderr bytes", "runs"],
        [
            [t.label, t.first_byte_s, t.exit_s, max(r.stderr_bytes for r in t.runs), len(t.runs)]
            for t in results
        ],
    )
    payload = {
        "question": QUESTION,
        "other_questions": OTHER_QUESTIONS,
        "load_average_before": load_before,
        "results": [t.as_json() for t in results],
    }
    path = write_result("cold_start", payload)
    print(f"written to {path}")
    failed = sum(run.exit_code != 0 for timing in results for run in timing.runs)
    if failed:
        sys.exit(f"{failed} runs failed")


if __name__ == "__main__":
    main()
