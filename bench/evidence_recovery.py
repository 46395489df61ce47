"""Are the FinanceBench evidence passages recoverable from our chunks, on the right page?

    python -m bench.evidence_recovery [--data ../shared/data]

Ingests the 6 FinanceBench PDFs and the 18 LegalBench-RAG documents end to end, then checks
each evidence item of the 26 FinanceBench dev questions against the chunks stored for its
document and page.

Judging rule: text is normalised (lower case, thousands separators dropped, everything but
letters and digits treated as a separator) and cut into word trigrams. An evidence item is
recovered when at least 90% of its trigrams occur in the chunks of the evidence page (chunks
carry 1-based page numbers; the data's page numbers are 0-based). We also report how many are
covered by a single chunk, and how many would match better on another page (a page-numbering
error).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.common import eval_data_dir, print_table, write_result

THRESHOLD = 0.9


def normalise(text: str) -> list[str]:
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    return re.findall(r"[a-z0-9]+", text)


def trigrams(tokens: list[str]) -> set[tuple[str, ...]]:
    if len(tokens) < 3:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)}


def coverage(evidence: set[tuple[str, ...]], text: str) -> float:
    if not evidence:
        return 1.0
    return len(evidence & trigrams(normalise(text))) / len(evidence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    data = eval_data_dir(args.data)

    from assistant.service import Assistant
    from assistant.settings import Settings

    finance = sorted((data / "finance" / "financebench" / "pdfs").glob("*.pdf"))
    legal = sorted((data / "legal" / "legalbench_rag_subset" / "knowledge-base").rglob("*.txt"))
    questions = [
        json.loads(line)
        for line in (data / "finance" / "financebench" / "questions_dev.jsonl").open()
        if line.strip()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        service = Assistant(Settings(data_dir=Path(tmp)))
        reports = [
            service.ingest(finance, collection="financebench"),
            service.ingest(legal, collection="legalbench"),
        ]
        failures = [(r.path.name, r.error) for rep in reports for r in rep.results if r.error]
        pages: dict[tuple[str, int], list[str]] = defaultdict(list)
        for doc in service.documents(collections=["financebench"]):
            for chunk in service.chunks_of(doc.id):
                pages[(Path(doc.file_name).stem, chunk.page or 0)].append(chunk.text)
        ingested = {
            "financebench": sum(1 for d in service.documents(collections=["financebench"])),
            "legalbench": sum(1 for d in service.documents(collections=["legalbench"])),
        }

    items = []
    for q in questions:
        for ev in q["evidence"]:
            grams = trigrams(normalise(ev["evidence_text"]))
            page = ev["evidence_page_num"] + 1
            chunks = pages.get((ev["doc_name"], page), [])
            on_page = coverage(grams, "\n".join(chunks))
            best_chunk = max((coverage(grams, c) for c in chunks), default=0.0)
            elsewhere = max(
                (
                    coverage(grams, "\n".join(texts))
                    for (doc, p), texts in pages.items()
                    if doc == ev["doc_name"] and p != page
                ),
                default=0.0,
            )
            items.append(
                {
                    "question": q["financebench_id"],
                    "doc": ev["doc_name"],
                    "page": page,
                    "page_coverage": round(on_page, 3),
                    "best_chunk_coverage": round(best_chunk, 3),
                    "best_other_page_coverage": round(elsewhere, 3),
                }
            )
    recovered = [i for i in items if i["page_coverage"] >= THRESHOLD]
    single = [i for i in items if i["best_chunk_coverage"] >= THRESHOLD]
    misplaced = [i for i in items if i["best_other_page_coverage"] > i["page_coverage"]]
    by_question = defaultdict(list)
    for item in items:
        by_question[item["question"]].append(item["page_coverage"] >= THRESHOLD)
    questions_ok = sum(all(v) for v in by_question.values())

    print(f"ingested: {ingested}; failed files: {failures or 'none'}")
    print_table(
        ["measure", "value"],
        [
            ["evidence items recovered on their page", f"{len(recovered)}/{len(items)}"],
            ["questions with all evidence recovered", f"{questions_ok}/{len(by_question)}"],
            ["evidence items inside a single chunk", f"{len(single)}/{len(items)}"],
            ["evidence matching another page better", f"{len(misplaced)}/{len(items)}"],
        ],
    )
    for item in items:
        if item["page_coverage"] < THRESHOLD:
            print(f"  not recovered: {item}")
    path = write_result(
        "evidence_recovery",
        {
            "threshold": THRESHOLD,
            "ingested": ingested,
            "failed_files": failures,
            "recovered": len(recovered),
            "items": len(items),
            "questions_all_recovered": questions_ok,
            "questions": len(by_question),
            "single_chunk": len(single),
            "misplaced": len(misplaced),
            "detail": items,
        },
    )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
