"""TAT-QA answers end to end: held-out annual-report contexts as uploaded documents.

Each held-out context (a table from a real annual report and its paragraphs; never fitted on,
by the generator's split rule) becomes a Markdown document in a collection of its own, ingested
by the product. Every question over it is asked through ``Assistant.ask`` as shipped: retrieval,
the table reader, the generator and the answer check. An answer counts as right when it is shown
and states the gold answer (``training.reading.tatqa.is_right``); a withheld answer is not right.

    python -m bench.tatqa_answers --data ../shared/data
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.ingestion.pipeline import Outcome
from assistant.service import Assistant
from assistant.settings import Settings
from bench.common import (
    RESULTS_DIR,
    eval_data_dir,
    judged_text,
    latency_ms,
    print_table,
    write_result,
)
from training.reading.tatqa import TatqaContext, is_right, load_contexts

RESULT_NAME = "tatqa_answers"


def kind_of(answer_type: str) -> str:
    return "arithmetic" if answer_type == "arithmetic" else "span and count"


def ingest_contexts(assistant: Assistant, contexts: list[TatqaContext], folder: Path) -> None:
    for number, context in enumerate(contexts):
        path = folder / f"report-{number:03d}.md"
        path.write_text(context.document, encoding="utf-8")
        report = assistant.ingest([path], collection=f"tatqa-{number:03d}")
        if report.count(Outcome.FAILED):
            raise RuntimeError(f"ingestion failed for {path.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="first N contexts")
    parser.add_argument(
        "--split",
        choices=("eval", "train"),
        default="eval",
        help="held-out contexts (the report) or training-side ones (for development)",
    )
    args = parser.parse_args()
    data = eval_data_dir(args.data)
    contexts = [c for c in load_contexts(data) if c.split == args.split][: args.limit]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as home:
        assistant = Assistant(Settings(data_dir=Path(home) / "data"))
        ingest_contexts(assistant, contexts, Path(home))
        for number, context in enumerate(contexts):
            for question in context.questions:
                started = time.perf_counter()
                answer = assistant.ask(question.question, collections=[f"tatqa-{number:03d}"])
                shown = not answer.abstained
                judged = judged_text(answer)
                rows.append(
                    {
                        "uid": question.uid,
                        "question": question.question,
                        "gold": question.answer,
                        "kind": kind_of(question.answer_type),
                        "answer_from": question.answer_from,
                        "answer": answer.text,
                        "read_from_table": answer.reading is not None,
                        "read_from_span": answer.span is not None,
                        "shown": shown,
                        "right": shown and is_right(answer.text, question),
                        "confidence": None if answer.check is None else answer.check.confidence,
                        "judged_right": judged is not None and is_right(judged, question),
                        "passages": [p.chunk.text for p in answer.passages],
                        "seconds": time.perf_counter() - started,
                    }
                )
    report(
        rows, len(contexts), f"{RESULT_NAME}_{args.split}" if args.split != "eval" else RESULT_NAME
    )


def report(rows: list[dict[str, Any]], contexts: int, name: str) -> None:
    with (RESULTS_DIR / f"{name}_predictions.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["kind"]].append(row)
        groups["all"].append(row)
    table = []
    figures: dict[str, Any] = {"contexts": contexts}
    for kind in ("all", "arithmetic", "span and count"):
        group = groups[kind]
        shown = [r for r in group if r["shown"]]
        right = sum(r["right"] for r in group)
        figures[kind] = {
            "questions": len(group),
            "exact_match": right / len(group) if group else 0.0,
            "shown": len(shown) / len(group) if group else 0.0,
            "right_among_shown": right / len(shown) if shown else 0.0,
            "read_from_table": sum(r["read_from_table"] for r in group),
            "read_from_span": sum(r["read_from_span"] for r in group),
        }
        table.append(
            [
                kind,
                len(group),
                f"{figures[kind]['exact_match']:.3f}",
                f"{figures[kind]['shown']:.2f}",
                f"{figures[kind]['right_among_shown']:.2f}",
                figures[kind]["read_from_table"],
                figures[kind]["read_from_span"],
            ]
        )
    figures["answer_time"] = latency_ms([r["seconds"] for r in rows])
    print_table(
        ["questions", "n", "exact match", "shown", "right/shown", "from table", "from span"], table
    )
    print(
        f"answer time p50 {figures['answer_time']['p50_ms'] / 1000:.2f} s, "
        f"p95 {figures['answer_time']['p95_ms'] / 1000:.2f} s"
    )
    write_result(name, figures)


if __name__ == "__main__":
    main()
