"""Cluster ingestion speed: one corpus through 1 and 2 Ray embedding workers.

    python -m bench.ray_ingest [--data ../shared/data] [--limit N] [--workers 1 2]

The corpus is the FinanceBench PDFs and LegalBench-RAG documents under ``--data`` (or
``ASSISTANT_EVAL_DATA``), smallest first, so ``--limit N`` keeps the N smallest; without the
data a generated Markdown corpus is used. Each configuration runs in a fresh process on a
fresh installation, end to end (parse, chunk, embed with MiniLM, store, index, save), the
model loads included: the single-process pipeline as a reference, then a local Ray cluster
with N embedding workers (one CPU and one torch thread each) plus one CPU for parsing tasks.
Prints documents/s and chunks/s; the cluster's start-up is timed apart. The load average is
recorded, since on a shared machine other work competes for the same cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import print_table, write_result

COLLECTION = "bench"
GENERATED_FILES = 24


def corpus_files(data: Path | None) -> list[Path]:
    """The evaluation documents, smallest first; empty when the data is absent."""
    if data is None or not data.is_dir():
        return []
    pdfs = (data / "finance" / "financebench" / "pdfs").glob("*.pdf")
    legal = (data / "legal" / "legalbench_rag_subset" / "knowledge-base").rglob("*.txt")
    return sorted([*pdfs, *legal], key=lambda p: (p.stat().st_size, p.name))


def generate_corpus(folder: Path, files: int = GENERATED_FILES) -> list[Path]:
    """Markdown documents of pseudo-words, of growing length, smallest first."""
    rng = random.Random(7)
    words = [
        "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 9))) for _ in range(3000)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        sections = []
        for s in range(2 + i // 3):
            paragraphs = [
                " ".join(rng.choices(words, k=rng.randint(40, 120))) + "." for _ in range(6)
            ]
            sections.append(f"## Section {s}\n\n" + "\n\n".join(paragraphs))
        path = folder / f"doc{i:03d}.md"
        path.write_text(f"# Document {i}\n\n" + "\n\n".join(sections), encoding="utf-8")
        paths.append(path)
    return paths


def _summary(report: Any, seconds: float, **extra: float) -> dict[str, Any]:
    failed = [r.path.name for r in report.results if r.error]
    if failed:
        raise SystemExit(f"ingestion failed for {failed}")
    return {
        "documents": len(report.results),
        "chunks": sum(r.chunks for r in report.results),
        "seconds": seconds,
        **extra,
    }


def phase_single(paths: list[Path]) -> dict[str, Any]:
    from assistant.service import Assistant
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        service = Assistant(Settings(data_dir=Path(tmp)))
        start = time.perf_counter()
        report = service.ingest(paths, collection=COLLECTION)
        return _summary(report, time.perf_counter() - start)


def phase_ray(paths: list[Path], workers: int) -> dict[str, Any]:
    from assistant.ingestion.ray_pipeline import RayIngestion, RayOptions, ray_connection
    from assistant.settings import Settings

    options = RayOptions(num_cpus=workers + 1, workers=workers)
    with tempfile.TemporaryDirectory() as tmp:
        ingestion = RayIngestion(Settings(data_dir=Path(tmp)), options)
        booting = time.perf_counter()
        with ray_connection(options):
            start = time.perf_counter()
            report = ingestion.run(paths, collection=COLLECTION)
            seconds = time.perf_counter() - start
        return _summary(report, seconds, cluster_start_s=start - booting)


def _run_phase(phase: str, files: Path, workers: int = 0) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.ray_ingest", "--phase", phase, "--files", str(files)]
    command += ["--workers", str(workers)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_GUARD__ENABLED": "false"}
    load_before = os.getloadavg()[0]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    result = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    result["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result["documents_per_s"] = result["documents"] / result["seconds"]
    result["chunks_per_s"] = result["chunks"] / result["seconds"]
    return result


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="Keep the N smallest files.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--note", default="", help="Stored with the figures (e.g. contention).")
    parser.add_argument("--phase", choices=["single", "ray"], help=argparse.SUPPRESS)
    parser.add_argument("--files", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase is not None:
        paths = [Path(line) for line in args.files.read_text(encoding="utf-8").splitlines()]
        result = (
            phase_single(paths) if args.phase == "single" else phase_ray(paths, args.workers[0])
        )
        print(json.dumps(result))
        return

    data = args.data or _env_path("ASSISTANT_EVAL_DATA")
    with tempfile.TemporaryDirectory() as scratch:
        paths = corpus_files(data)
        source = "FinanceBench PDFs + LegalBench-RAG documents"
        if not paths:
            print(f"evaluation data not found under {data}; using a generated corpus")
            paths = generate_corpus(Path(scratch) / "corpus")
            source = "generated Markdown"
        paths = paths[: args.limit]
        size_mb = round(sum(p.stat().st_size for p in paths) / 2**20, 2)
        listing = Path(scratch) / "files.txt"
        listing.write_text("\n".join(str(p) for p in paths), encoding="utf-8")
        runs = {"single process": _run_phase("single", listing)}
        for workers in args.workers:
            runs[f"ray, {workers} worker{'s' if workers > 1 else ''}"] = _run_phase(
                "ray", listing, workers
            )

    print(f"{len(paths)} files ({source}), {runs['single process']['chunks']} chunks")
    print_table(
        ["run", "documents/s", "chunks/s", "seconds", "cluster start (s)", "load avg 1m"],
        [
            [
                name,
                f"{r['documents_per_s']:.2f}",
                f"{r['chunks_per_s']:.1f}",
                f"{r['seconds']:.1f}",
                f"{r['cluster_start_s']:.1f}" if "cluster_start_s" in r else "",
                " -> ".join(str(v) for v in r["load_avg_1m"]),
            ]
            for name, r in runs.items()
        ],
    )
    path = write_result(
        "ray_ingest",
        {
            "corpus": {"source": source, "files": len(paths), "limit": args.limit, "mb": size_mb},
            "runs": runs,
            "note": args.note,
        },
    )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
