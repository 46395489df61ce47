"""Ingestion speed and memory on the FinanceBench 10-K PDFs.

    python -m bench.ingest_bench [--data ../shared/data]

Prints pages/s and chunks/s for parsing alone (parse + chunk) and end to end (parse, chunk,
store, embed, index, save), and the peak resident memory of each phase. Each phase runs in a
fresh process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import eval_data_dir, print_table, write_result


def _pdfs(data: Path) -> list[Path]:
    return sorted((data / "finance" / "financebench" / "pdfs").glob("*.pdf"))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_parse(data: Path) -> dict[str, float]:
    from assistant.service import Assistant
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        service = Assistant(Settings(data_dir=Path(tmp)))
        pages = chunks = 0
        parse_s = chunk_s = 0.0
        for pdf in _pdfs(data):
            start = time.perf_counter()
            _, parsed = service.parse(pdf)
            middle = time.perf_counter()
            drafts = service.chunk(parsed)
            parse_s += middle - start
            chunk_s += time.perf_counter() - middle
            pages += len(parsed.pages)
            chunks += len(drafts)
    return {
        "pages": pages,
        "chunks": chunks,
        "parse_s": parse_s,
        "chunk_s": chunk_s,
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_end_to_end(data: Path) -> dict[str, float]:
    from assistant.service import Assistant
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        service = Assistant(Settings(data_dir=Path(tmp)))
        service.index.warm_up()
        start = time.perf_counter()
        report = service.ingest(_pdfs(data), collection="financebench")
        elapsed = time.perf_counter() - start
        docs = service.documents()
    failed = [r.path.name for r in report.results if r.error]
    if failed:
        raise SystemExit(f"ingestion failed for {failed}")
    return {
        "pages": sum(d.pages or 0 for d in docs),
        "chunks": sum(d.chunks for d in docs),
        "seconds": elapsed,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _run_phase(name: str, data: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.ingest_bench", "--phase", name, "--data", str(data)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--phase", choices=["parse", "e2e"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = eval_data_dir(args.data)
    if args.phase == "parse":
        print(json.dumps(phase_parse(data)))
        return
    if args.phase == "e2e":
        print(json.dumps(phase_end_to_end(data)))
        return

    parse = _run_phase("parse", data)
    e2e = _run_phase("e2e", data)
    parse_total = parse["parse_s"] + parse["chunk_s"]
    rows = [
        [
            "parse only",
            f"{parse['pages'] / parse['parse_s']:.1f}",
            f"{parse['chunks'] / parse_total:.1f}",
            f"{parse_total:.1f}",
            f"{parse['peak_rss_mb']:.0f}",
        ],
        [
            "end to end",
            f"{e2e['pages'] / e2e['seconds']:.1f}",
            f"{e2e['chunks'] / e2e['seconds']:.1f}",
            f"{e2e['seconds']:.1f}",
            f"{e2e['peak_rss_mb']:.0f}",
        ],
    ]
    print(f"{len(_pdfs(data))} FinanceBench PDFs, {parse['pages']} pages, {parse['chunks']} chunks")
    print_table(["phase", "pages/s", "chunks/s", "seconds", "peak RSS (MB)"], rows)
    path = write_result("ingest", {"parse": parse, "end_to_end": e2e})
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
