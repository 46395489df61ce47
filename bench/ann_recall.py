"""Recall@10 of the HNSW dense index against exact search, and search latency.

    python -m bench.ann_recall [--vectors 100000] [--dim 384] [--queries 300]
                               [--ef 32,64,128,256] [--data lowrank,clustered,random]

Three synthetic sets of unit vectors (no model involved, so query embedding is excluded):

* ``lowrank``: Gaussian vectors of rank 48 spread into 384 dimensions plus isotropic noise;
  the nearest neighbours sit at cosine ~0.6-0.65 and unrelated pairs at ~0, close to what
  sentence embeddings of a corpus look like. This is the set the default efSearch is tuned on.
* ``clustered``: a mixture of 2,000 Gaussian clusters whose points sit at cosine ~0.7 from
  their centre; queries are fresh draws from the mixture, like a question near a topic.
* ``random``: uniform on the sphere, the hardest case for a graph index; each query is a
  stored vector plus noise (cosine ~0.7 to it), so its top-1 is meaningful and the other nine
  are near-ties among unrelated vectors.

Ground truth is the flat ``IndexFlatIP`` index, whose latency is reported as well. The HNSW
index is built through ``DenseIndex`` exactly as the product switches to it past
``ann_threshold``. Filtered rows search collections holding 50% of the vectors (bitmap
selector inside the graph search), 10% and 1% (exact scans of the allowed vectors).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Collection

import numpy as np

from bench.common import print_table, write_result
from indexes.dense import DenseIndex
from indexes.embedder import DEFAULT_MODEL_NAME

CLUSTERS = 2000
LATENT_RANK = 48
LATENT_NOISE = 0.5
SMALL_COLLECTION = 99


class NoEmbedder:
    """Vectors are given directly; the index never embeds text here."""

    dim = 384
    model_name = DEFAULT_MODEL_NAME

    def warm_up(self) -> None:
        """Nothing to load."""

    def encode(self, texts: object) -> np.ndarray:
        raise RuntimeError("the benchmark searches by vector only")


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def make_set(kind: str, count: int, queries: int, dim: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    if kind == "lowrank":
        spread = rng.standard_normal((LATENT_RANK, dim)) / np.sqrt(LATENT_RANK)

        def draw(rows: int) -> np.ndarray:
            latent = rng.standard_normal((rows, LATENT_RANK)) @ spread
            return unit(latent + LATENT_NOISE * rng.standard_normal((rows, dim)) / np.sqrt(dim))

        vectors, asked = draw(count), draw(queries)
    elif kind == "clustered":
        centres = unit(rng.standard_normal((CLUSTERS, dim)))
        vectors = unit(
            centres[rng.integers(0, CLUSTERS, count)]
            + rng.standard_normal((count, dim)) / np.sqrt(dim)
        )
        asked = unit(
            centres[rng.integers(0, CLUSTERS, queries)]
            + rng.standard_normal((queries, dim)) / np.sqrt(dim)
        )
    else:
        vectors = unit(rng.standard_normal((count, dim)))
        sources = vectors[rng.integers(0, count, queries)]
        asked = unit(sources + rng.standard_normal((queries, dim)) / np.sqrt(dim))
    return vectors, asked


def run(
    index: DenseIndex, queries: np.ndarray, collections: Collection[int] | None = None
) -> tuple[list[list[int]], list[float]]:
    """Top-10 chunk ids and seconds per query."""
    found, seconds = [], []
    for query in queries:
        start = time.perf_counter()
        hits = index.search_vector(query, 10, collections)
        seconds.append(time.perf_counter() - start)
        found.append([hit.chunk_id for hit in hits])
    return found, seconds


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return statistics.mean(
        len(set(got) & set(want)) / max(len(want), 1)
        for got, want in zip(found, truth, strict=True)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--ef", default="32,64,128,256")
    parser.add_argument("--data", default="lowrank,clustered,random")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ef_values = [int(value) for value in args.ef.split(",")]

    rows: list[list[object]] = []
    results: dict[str, object] = {}
    for kind in args.data.split(","):
        vectors, queries = make_set(kind, args.vectors, args.queries, args.dim, args.seed)
        ids = np.arange(vectors.shape[0], dtype=np.int64) + 1
        collections = ids % 10
        collections[ids % 100 == 0] = SMALL_COLLECTION

        exact = DenseIndex(NoEmbedder(), ann_threshold=args.vectors + 1)
        exact.add_vectors(ids, collections, vectors)
        truth, exact_seconds = run(exact, queries)
        flat_ms = statistics.mean(exact_seconds) * 1e3
        rows.append([kind, "flat (exact)", "-", "1.000", f"{flat_ms:.2f}", "-"])

        start = time.perf_counter()
        approximate = DenseIndex(NoEmbedder(), ann_threshold=args.vectors - 1)
        approximate.add_vectors(ids, collections, vectors)
        build_s = time.perf_counter() - start
        default_ef = approximate.ef_search
        per_ef = {}
        for ef in ef_values:
            approximate.ef_search = ef
            found, seconds = run(approximate, queries)
            per_ef[ef] = {
                "recall_at_10": recall(found, truth),
                "mean_ms": statistics.mean(seconds) * 1e3,
            }
            rows.append(
                [
                    kind,
                    "hnsw",
                    ef,
                    f"{per_ef[ef]['recall_at_10']:.3f}",
                    f"{per_ef[ef]['mean_ms']:.2f}",
                    f"{build_s:.0f}",
                ]
            )

        approximate.ef_search = default_ef
        filtered = {}
        for label, allowed in (("50%", {0, 1, 2, 3, 4}), ("10%", {5}), ("1%", {SMALL_COLLECTION})):
            want, _ = run(exact, queries, allowed)
            found, seconds = run(approximate, queries, allowed)
            filtered[label] = {
                "recall_at_10": recall(found, want),
                "mean_ms": statistics.mean(seconds) * 1e3,
            }
            rows.append(
                [
                    kind,
                    f"hnsw, filter {label}",
                    approximate.ef_search,
                    f"{filtered[label]['recall_at_10']:.3f}",
                    f"{filtered[label]['mean_ms']:.2f}",
                    "",
                ]
            )
        results[kind] = {
            "flat_mean_ms": flat_ms,
            "hnsw_build_s": build_s,
            "hnsw": per_ef,
            "filtered": filtered,
        }

    print(f"{args.vectors} vectors of {args.dim} dims, {args.queries} queries, top-10")
    print_table(["data", "index", "efSearch", "recall@10", "mean query ms", "build s"], rows)
    write_result(
        "ann_recall",
        {"vectors": args.vectors, "dim": args.dim, "queries": args.queries, "sets": results},
    )


if __name__ == "__main__":
    main()
