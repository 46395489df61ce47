"""Query speed of the sparse-matrix BM25 index against rank_bm25's BM25Okapi.

    python -m bench.bm25_speed [--chunks 100000] [--queries 200] [--reference-queries 20]

Both indexes get the same token lists: synthetic chunks drawn from a Zipf-distributed
vocabulary (lengths around ``--words``), tokenized once by the project's tokenizer. Queries
are 2-6 words taken from random chunks, so they hit both frequent and rare terms. BM25Okapi
scores every chunk in a Python loop per query term, so it is timed on fewer queries
(``--reference-queries``); each of those queries also checks that the two top-10 score lists
agree. The figure that matters is the ratio of mean query times.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from bench.common import print_table, write_result
from indexes.bm25 import BM25Index
from indexes.protocols import IndexedChunk

LETTERS = list("bcdfghjklmnprstvwz")


def synthetic_texts(count: int, words: int, vocabulary: int, seed: int) -> list[str]:
    """``count`` texts of pseudo-words with Zipf-like frequencies."""
    rng = np.random.default_rng(seed)
    lexicon = np.array(
        ["".join(rng.choice(LETTERS, size=rng.integers(4, 10))) for _ in range(vocabulary)]
    )
    weights = 1 / np.arange(1, vocabulary + 1) ** 1.05
    weights /= weights.sum()
    lengths = np.clip(rng.normal(words, words / 3, size=count).astype(int), 5, None)
    drawn = lexicon[rng.choice(vocabulary, size=int(lengths.sum()), p=weights)]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [" ".join(drawn[bounds[n] : bounds[n + 1]]) for n in range(count)]


def timed_queries(
    search: Callable[[list[str]], object], queries: Sequence[list[str]]
) -> list[float]:
    """Seconds per query of ``search(tokens)``."""
    seconds = []
    for tokens in queries:
        start = time.perf_counter()
        search(tokens)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=120, help="mean words per chunk")
    parser.add_argument("--vocabulary", type=int, default=60_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--reference-queries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    texts = synthetic_texts(args.chunks, args.words, args.vocabulary, args.seed)
    index = BM25Index()
    start = time.perf_counter()
    tokens = [index.tokenizer(text) for text in texts]
    tokenize_s = time.perf_counter() - start
    start = time.perf_counter()
    index.add([IndexedChunk(n, n % 10, text) for n, text in enumerate(texts)])
    index.search_tokens(tokens[0][:1], 1)  # the first search computes the term weights
    build_s = time.perf_counter() - start

    rng = np.random.default_rng(args.seed + 1)
    queries = []
    for _ in range(args.queries):
        source = tokens[int(rng.integers(len(tokens)))]
        queries.append(list(rng.choice(source, size=min(len(source), int(rng.integers(2, 7))))))

    ours = timed_queries(lambda query: index.search_tokens(query, 10), queries)
    filtered = timed_queries(lambda query: index.search_tokens(query, 10, collections={3}), queries)

    start = time.perf_counter()
    reference = BM25Okapi(tokens)
    reference_build_s = time.perf_counter() - start
    checked = queries[: args.reference_queries]

    def reference_top10(query: list[str]) -> np.ndarray:
        scores = reference.get_scores(query)
        return scores[np.argsort(scores)[::-1][:10]]

    theirs = timed_queries(reference_top10, checked)
    for query in checked:
        ours_top = [hit.score for hit in index.search_tokens(query, 10)]
        np.testing.assert_allclose(ours_top, reference_top10(query), rtol=1e-5)

    ours_ms = statistics.mean(ours) * 1e3
    theirs_ms = statistics.mean(theirs) * 1e3
    ratio = theirs_ms / ours_ms
    rows = [
        ["sparse BM25Index (ours)", f"{build_s:.1f}", f"{ours_ms:.3f}",
         f"{statistics.median(ours) * 1e3:.3f}", len(ours)],
        ["ours, collection filter (10%)", "", f"{statistics.mean(filtered) * 1e3:.3f}",
         f"{statistics.median(filtered) * 1e3:.3f}", len(filtered)],
        ["rank_bm25 BM25Okapi", f"{reference_build_s:.1f}", f"{theirs_ms:.1f}",
         f"{statistics.median(theirs) * 1e3:.1f}", len(theirs)],
    ]  # fmt: skip
    print(
        f"{args.chunks} chunks, {sum(map(len, tokens)) / len(tokens):.0f} terms per chunk, "
        f"tokenizing alone {tokenize_s:.1f} s (our build includes it, rank_bm25's does not)"
    )
    print_table(["index", "build s", "mean query ms", "median query ms", "queries"], rows)
    print(f"speed ratio (rank_bm25 / ours, mean per query): {ratio:.0f}x")
    write_result(
        "bm25_speed",
        {
            "chunks": args.chunks,
            "mean_terms_per_chunk": sum(map(len, tokens)) / len(tokens),
            "tokenize_s": tokenize_s,
            "ours": {"build_s": build_s, "mean_query_ms": ours_ms, "queries": len(ours)},
            "ours_filtered_mean_query_ms": statistics.mean(filtered) * 1e3,
            "rank_bm25": {
                "build_s": reference_build_s,
                "mean_query_ms": theirs_ms,
                "queries": len(theirs),
            },
            "speed_ratio": ratio,
        },
    )


if __name__ == "__main__":
    main()
