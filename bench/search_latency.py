"""Search latency, memory and disk of the indexes at growing corpus sizes.

    python -m bench.search_latency [--sizes 10000,100000,1000000] [--queries 200]

The corpus is synthetic (a size benchmark): Zipf-distributed pseudo-words for BM25 and
low-rank unit vectors (shaped like sentence embeddings) for FAISS, 384 dimensions. Each size is
built, saved, and then reopened in a fresh process, which times ``--queries`` searches:
BM25, dense by vector, and hybrid (both, fused with the default fusion settings, as
``HybridIndex.search`` does after embedding the query). Query embedding with the real MiniLM
model is timed separately on real-sounding questions. Memory is the resident-set growth of
the fresh process from before loading to after the timed queries; disk is the saved
directory size. Sizes measured earlier and not in ``--sizes`` stay in the results file, so
one size can be rerun alone.

Up to ``SECOND_STAGE_UP_TO`` chunks, a second-stage part (768-dimensional vectors, as
all-mpnet-base-v2's) is built too, and its work per query is timed after the hybrid search:
scoring the best ``second_stage_candidates`` fused candidates from the stored vectors and
re-ordering them. Embedding the query with the larger model is not included; the second-stage
benchmark (``bench.rerank_eval``) times it with the real model. The part is loaded after the
memory figure is taken, which stays that of BM25 and MiniLM-sized vectors.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from assistant.collection_settings import index_fusion
from assistant.settings import IndexSettings
from bench.ann_recall import NoEmbedder, make_set
from bench.bm25_speed import synthetic_texts
from bench.common import RESULTS_DIR, latency_ms, print_table, write_result
from indexes.bm25 import BM25Index
from indexes.dense import DenseIndex
from indexes.hybrid import fuse
from indexes.protocols import IndexedChunk
from indexes.second_stage import rescore

DIM = 384
SECOND_DIM = 768
SECOND_STAGE_UP_TO = 100_000
"""Largest size given a second-stage part: beyond it the part would need an HNSW graph of
768-dimensional vectors, which takes far longer to build here than the sizes below."""
QUESTIONS = [
    "What notice period applies to termination for convenience?",
    "FY2022 capital expenditure of the company",
    "first-line treatment for stage 1 hypertension in adults",
    "Is the supplier liable for consequential losses?",
    "How much did operating cash flow change year over year?",
]


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def merged_sizes(
    previous: list[dict[str, Any]], measured: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows of ``measured`` plus those of ``previous`` for sizes not measured again,
    ordered by size."""
    fresh = {row["size"] for row in measured}
    kept = [row for row in previous if row.get("size") not in fresh]
    return sorted([*kept, *measured], key=lambda row: int(row["size"]))


def _previous_sizes(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8")).get("sizes", [])
    return rows


def build(size: int, root: Path, seed: int) -> None:
    texts = synthetic_texts(size, words=120, vocabulary=60_000, seed=seed)
    bm25 = BM25Index()
    bm25.add([IndexedChunk(i, i % 10, t) for i, t in enumerate(texts)])
    bm25.save(root / "bm25")
    vectors, _ = make_set("lowrank", size, 1, DIM, seed)
    dense = DenseIndex(NoEmbedder())
    ids = np.arange(size, dtype=np.int64)
    dense.add_vectors(ids, ids % 10, vectors)
    dense.save(root / "dense")
    if size <= SECOND_STAGE_UP_TO:
        second_vectors, _ = make_set("lowrank", size, 1, SECOND_DIM, seed + 2)
        second = DenseIndex(NoEmbedder())
        second.add_vectors(ids, ids % 10, second_vectors)
        second.save(root / "second")


def measure(size: int, root: Path, queries: int, seed: int) -> dict[str, object]:
    """Runs in a fresh process: load, then time searches."""
    before = _rss_mb()
    bm25 = BM25Index.load(root / "bm25")
    dense = DenseIndex.load(root / "dense", NoEmbedder())
    rng = np.random.default_rng(seed + 1)
    texts = synthetic_texts(queries, words=4, vocabulary=60_000, seed=seed)
    _, vectors = make_set("lowrank", 10, queries, DIM, seed)
    fusion = index_fusion(IndexSettings())
    bm25.search(texts[0], 10)  # the first search computes the weight matrix once
    timings: dict[str, list[float]] = {"bm25": [], "dense": [], "hybrid": []}
    for text, vector in zip(texts, vectors, strict=True):
        allowed = None if rng.random() < 0.5 else {int(rng.integers(0, 10))}
        start = time.perf_counter()
        bm25.search(text, 10, allowed)
        timings["bm25"].append(time.perf_counter() - start)
        start = time.perf_counter()
        dense.search_vector(vector, 10, allowed)
        timings["dense"].append(time.perf_counter() - start)
        start = time.perf_counter()
        rankings = [
            bm25.search(text, fusion.candidates, allowed),
            dense.search_vector(vector, fusion.candidates, allowed),
        ]
        fuse(rankings, fusion, 10)
        timings["hybrid"].append(time.perf_counter() - start)
    result: dict[str, object] = {
        "size": size,
        "dense_kind": dense.kind,
        "fusion": asdict(fusion),
        **{name: latency_ms(s) for name, s in timings.items()},
        "memory_mb": _rss_mb() - before,
        "disk_mb": {"bm25": _dir_mb(root / "bm25"), "dense": _dir_mb(root / "dense")},
    }
    if (root / "second").is_dir():
        result["second_stage"] = _second_stage(root / "second", bm25, dense, texts, vectors, seed)
    return result


def _second_stage(
    path: Path,
    bm25: BM25Index,
    dense: DenseIndex,
    texts: list[str],
    vectors: np.ndarray,
    seed: int,
) -> dict[str, object]:
    """Per-query time of the second stage after an unfiltered hybrid search, and the part's
    size on disk and in memory."""
    before = _rss_mb()
    second = DenseIndex.load(path, NoEmbedder())
    _, asked = make_set("lowrank", 10, len(texts), SECOND_DIM, seed + 3)
    fusion = index_fusion(IndexSettings())
    seconds = []
    for text, vector, second_vector in zip(texts, vectors, asked, strict=True):
        rankings = [
            bm25.search(text, fusion.candidates),
            dense.search_vector(vector, fusion.candidates),
        ]
        pool = fuse(rankings, fusion, fusion.second_stage_candidates)
        start = time.perf_counter()
        scores = second.scores_vector(second_vector, [hit.chunk_id for hit in pool])
        rescore(pool, scores, 1.0)
        seconds.append(time.perf_counter() - start)
    return {
        "candidates": fusion.second_stage_candidates,
        **latency_ms(seconds),
        "memory_mb": _rss_mb() - before,
        "disk_mb": _dir_mb(path),
    }


def embedding_latency() -> dict[str, float]:
    from indexes.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.warm_up()
    seconds = []
    for _ in range(10):
        for question in QUESTIONS:
            start = time.perf_counter()
            embedder.encode([question])
            seconds.append(time.perf_counter() - start)
    return latency_ms(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.size, args.measure, args.queries, args.seed)))
        return

    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            started = time.perf_counter()
            build(size, root, args.seed)
            built = time.perf_counter() - started
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.search_latency",
                    "--measure",
                    str(root),
                    "--size",
                    str(size),
                    "--queries",
                    str(args.queries),
                    "--seed",
                    str(args.seed),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            result["build_s"] = built
            results.append(result)
            print(f"{size} chunks measured", file=sys.stderr)
    embed = embedding_latency()
    results = merged_sizes(_previous_sizes(RESULTS_DIR / "search_latency.json"), results)
    rows = []
    for r in results:
        rows.append(
            [
                f"{r['size']:,}",
                r["dense_kind"],
                *(
                    f"{r[m]['p50_ms']:.1f} / {r[m]['p95_ms']:.1f}"
                    for m in ("bm25", "dense", "hybrid")
                ),
                f"{r['memory_mb']:.0f}",
                f"{r['disk_mb']['bm25']:.0f} + {r['disk_mb']['dense']:.0f}",
            ]
        )
    print_table(
        [
            "chunks",
            "dense index",
            "BM25 p50/p95 ms",
            "dense p50/p95 ms",
            "hybrid p50/p95 ms",
            "memory MB",
            "disk MB (bm25 + dense)",
        ],
        rows,
    )
    for r in results:
        if "second_stage" in r:
            extra = r["second_stage"]
            print(
                f"\nsecond stage at {r['size']:,} chunks ({extra['candidates']} candidates, "
                f"{SECOND_DIM} dimensions, after the hybrid search): p50 {extra['p50_ms']:.1f} ms,"
                f" p95 {extra['p95_ms']:.1f} ms; {extra['memory_mb']:.0f} MB in memory, "
                f"{extra['disk_mb']:.0f} MB on disk"
            )
    print(
        f"\nquery embedding (MiniLM, 1 query): p50 {embed['p50_ms']:.1f} ms, "
        f"p95 {embed['p95_ms']:.1f} ms"
    )
    path = write_result("search_latency", {"sizes": results, "query_embedding": embed})
    print(f"written to {path}")


if __name__ == "__main__":
    main()
