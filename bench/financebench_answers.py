"""FinanceBench answers end to end: six real filings in one collection, asked as a user would.

The six FinanceBench PDFs are ingested by the product into one collection, and each of the 26
questions is asked through ``Assistant.ask`` as shipped (retrieval over all six filings, the
table reader, the generator and the answer check). An answer is right when it is shown and the
written rule of ``bench.answer_labels`` judges it correct; a withheld answer is not right. The
table also says for how many questions the evidence page was among the passages the answer was
drafted from.

    python -m bench.financebench_answers --data ../shared/data
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.ingestion.pipeline import Outcome
from assistant.service import Assistant
from assistant.settings import Settings
from bench.answer_labels import is_correct
from bench.common import (
    RESULTS_DIR,
    eval_data_dir,
    judged_text,
    latency_ms,
    print_table,
    write_result,
)

RESULT_NAME = "financebench_answers"
PDF_DIR = Path("finance/financebench/pdfs")
QUESTIONS = Path("finance/financebench/questions_dev.jsonl")
COLLECTION = "filings"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    data = eval_data_dir(args.data)
    questions = [
        json.loads(line)
        for line in (data / QUESTIONS).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as home:
        assistant = Assistant(Settings(data_dir=Path(home)))
        started = time.perf_counter()
        report = assistant.ingest(sorted((data / PDF_DIR).glob("*.pdf")), collection=COLLECTION)
        if report.count(Outcome.FAILED):
            raise RuntimeError("a filing failed to ingest")
        ingest_s = time.perf_counter() - started
        for item in questions:
            started = time.perf_counter()
            answer = assistant.ask(item["question"], collections=[COLLECTION])
            evidence = {(e["doc_name"], e["evidence_page_num"] + 1) for e in item["evidence"]}
            read = {(Path(p.chunk.file_name).stem, p.chunk.page) for p in answer.passages}
            judged = judged_text(answer)
            rows.append(
                {
                    "question": item["question"],
                    "gold": item["answer"],
                    "answer": answer.text,
                    "shown": not answer.abstained,
                    "right": not answer.abstained
                    and is_correct("financebench", True, answer.text, False, [item["answer"]]),
                    "read_from_table": answer.reading is not None,
                    "read_from_span": answer.span is not None,
                    "evidence_page_read": bool(evidence & read),
                    "confidence": None if answer.check is None else answer.check.confidence,
                    "judged_right": judged is not None
                    and is_correct("financebench", True, judged, False, [item["answer"]]),
                    "seconds": time.perf_counter() - started,
                }
            )
    seconds = [r["seconds"] for r in rows]
    figures = {
        "questions": len(rows),
        "right": sum(r["right"] for r in rows),
        "shown": sum(r["shown"] for r in rows),
        "right_among_shown": sum(r["right"] for r in rows if r["shown"]),
        "read_from_table": sum(r["read_from_table"] for r in rows),
        "read_from_span": sum(r["read_from_span"] for r in rows),
        "evidence_page_read": sum(r["evidence_page_read"] for r in rows),
        "ingest_seconds": ingest_s,
        "answer_time": latency_ms(seconds),
    }
    print_table(
        [
            "questions",
            "right",
            "shown",
            "right among shown",
            "from table",
            "from span",
            "evidence read",
        ],
        [
            [
                figures["questions"],
                figures["right"],
                figures["shown"],
                figures["right_among_shown"],
                figures["read_from_table"],
                figures["read_from_span"],
                figures["evidence_page_read"],
            ]
        ],
    )
    write_result(RESULT_NAME, figures)
    with (RESULTS_DIR / f"{RESULT_NAME}_predictions.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
