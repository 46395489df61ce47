"""Query speed of the sparse-matrix BM25 index against rank_bm25's BM25Okapi and bm25s.

    python -m bench.bm25_speed [--chunks 100000] [--queries 200] [--reference-queries 20]

All indexes get the same token lists: synthetic chunks drawn from a Zipf-distributed
vocabulary (lengths around ``--words``), tokenized once by the project's tokenizer. Queries
are 2-6 words taken from random chunks, so they hit both frequent and rare terms. BM25Okapi
scores every chunk in a Python loop per query term, so it is timed on fewer queries
(``--reference-queries``); each of those queries also checks that the two top-10 score lists
agree. The figure that matters is the ratio of mean query times.

bm25s (``method="robertson"``, the same k1 and b) is timed on all queries by its quickest
single-query path, ``get_scores`` and the top 10 by ``argpartition``; the collection filter is
its ``weight_mask``. Ours and bm25s take turns on each query, so that other work on the machine
slows both alike. Its scores are BM25Okapi's divided by k1 + 1, except for terms found in
more than half the chunks: BM25Okapi (and ours) give those a small floor IDF, bm25s gives them
0. The result counts the queries whose top-10 scores agree after that scaling and the queries
holding such a term.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import bm25s
import numpy as np
from rank_bm25 import BM25Okapi

from bench.common import print_table, write_result
from indexes.bm25 import BM25Index
from indexes.protocols import IndexedChunk

LETTERS = list("bcdfghjklmnprstvwz")
K1 = 1.5
B = 0.75


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
    return timed_in_turn({"search": search}, queries)["search"]


def timed_in_turn(
    searches: Mapping[str, Callable[[list[str]], object]], queries: Sequence[list[str]]
) -> dict[str, list[float]]:
    """Seconds per query of each search, the searches taking turns on each query so that
    other work on the machine slows them alike."""
    seconds: dict[str, list[float]] = {name: [] for name in searches}
    for tokens in queries:
        for name, search in searches.items():
            start = time.perf_counter()
            search(tokens)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def bm25s_top10(retriever: bm25s.BM25, query: list[str], mask: np.ndarray | None) -> np.ndarray:
    """bm25s's ten best scores for ``query``, by its quickest single-query path."""
    scores = retriever.get_scores(query, weight_mask=mask)
    best = np.argpartition(-scores, 10)[:10]
    return np.sort(scores[best])[::-1]


def score_agreement(
    index: BM25Index,
    retriever: bm25s.BM25,
    tokens: Sequence[list[str]],
    queries: Sequence[list[str]],
) -> dict[str, int]:
    """Queries whose top-10 scores agree (bm25s's times k1 + 1), queries holding a term found
    in more than half the chunks, and queries that differ without holding one."""
    chunks_with = Counter(term for chunk in tokens for term in set(chunk))
    common = {term for term, count in chunks_with.items() if count > len(tokens) / 2}
    same = [
        np.allclose(
            [hit.score for hit in index.search_tokens(query, 10)],
            (K1 + 1) * bm25s_top10(retriever, query, None),
            rtol=1e-4,
        )
        for query in queries
    ]
    return {
        "same_top10_scores": sum(same),
        "with_a_term_in_over_half_the_chunks": sum(bool(common & set(q)) for q in queries),
        "differing_without_such_a_term": sum(
            not agree and not common & set(query)
            for agree, query in zip(same, queries, strict=True)
        ),
    }


def milliseconds(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "mean_query_ms": statistics.mean(seconds) * 1e3,
        "median_query_ms": statistics.median(seconds) * 1e3,
    }


def shown(figures: Mapping[str, float], digits: int) -> list[str]:
    return [f"{figures['mean_query_ms']:.{digits}f}", f"{figures['median_query_ms']:.{digits}f}"]


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
    index = BM25Index(k1=K1, b=B)
    start = time.perf_counter()
    tokens = [index.tokenizer(text) for text in texts]
    tokenize_s = time.perf_counter() - start
    start = time.perf_counter()
    index.add([IndexedChunk(n, n % 10, text) for n, text in enumerate(texts)])
    index.search_tokens(tokens[0][:1], 1)  # the first search computes the term weights
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    retriever = bm25s.BM25(method="robertson", k1=K1, b=B)
    retriever.index(tokens, show_progress=False)
    bm25s_build_s = time.perf_counter() - start

    rng = np.random.default_rng(args.seed + 1)
    queries = []
    for _ in range(args.queries):
        source = tokens[int(rng.integers(len(tokens)))]
        queries.append(list(rng.choice(source, size=min(len(source), int(rng.integers(2, 7))))))

    in_collection = (np.arange(len(tokens)) % 10 == 3).astype(np.float32)
    seconds = timed_in_turn(
        {
            "ours": lambda query: index.search_tokens(query, 10),
            "ours_filtered": lambda query: index.search_tokens(query, 10, collections={3}),
            "bm25s": lambda query: bm25s_top10(retriever, query, None),
            "bm25s_filtered": lambda query: bm25s_top10(retriever, query, in_collection),
        },
        queries,
    )
    agreement = score_agreement(index, retriever, tokens, queries)

    start = time.perf_counter()
    reference = BM25Okapi(tokens, k1=K1, b=B)
    reference_build_s = time.perf_counter() - start
    checked = queries[: args.reference_queries]

    def reference_top10(query: list[str]) -> np.ndarray:
        scores = reference.get_scores(query)
        return scores[np.argsort(scores)[::-1][:10]]

    theirs = timed_queries(reference_top10, checked)
    for query in checked:
        ours_top = [hit.score for hit in index.search_tokens(query, 10)]
        np.testing.assert_allclose(ours_top, reference_top10(query), rtol=1e-5)

    ours, filtered = milliseconds(seconds["ours"]), milliseconds(seconds["ours_filtered"])
    other, other_filtered = milliseconds(seconds["bm25s"]), milliseconds(seconds["bm25s_filtered"])
    reference_ms = milliseconds(theirs)
    ratio = reference_ms["mean_query_ms"] / ours["mean_query_ms"]
    bm25s_ratio = other["mean_query_ms"] / ours["mean_query_ms"]
    rows = [
        ["sparse BM25Index (ours)", f"{build_s:.1f}", *shown(ours, 3), args.queries],
        ["ours, collection filter (10%)", "", *shown(filtered, 3), args.queries],
        ["rank_bm25 BM25Okapi", f"{reference_build_s:.1f}", *shown(reference_ms, 1), len(theirs)],
        ["bm25s (robertson)", f"{bm25s_build_s:.1f}", *shown(other, 3), args.queries],
        ["bm25s, collection filter (10%)", "", *shown(other_filtered, 3), args.queries],
    ]
    print(
        f"{args.chunks} chunks, {sum(map(len, tokens)) / len(tokens):.0f} terms per chunk, "
        f"tokenizing alone {tokenize_s:.1f} s (our build includes it, the others' do not)"
    )
    print_table(["index", "build s", "mean query ms", "median query ms", "queries"], rows)
    print(f"speed ratio (rank_bm25 / ours, mean per query): {ratio:.0f}x")
    print(
        f"speed ratio (bm25s / ours, mean per query): {bm25s_ratio:.2f}x; same top-10 scores "
        f"on {agreement['same_top10_scores']} of {args.queries} queries; "
        f"{agreement['with_a_term_in_over_half_the_chunks']} hold a term found in more than "
        f"half the chunks, {agreement['differing_without_such_a_term']} differ without one"
    )
    write_result(
        "bm25_speed",
        {
            "chunks": args.chunks,
            "mean_terms_per_chunk": sum(map(len, tokens)) / len(tokens),
            "tokenize_s": tokenize_s,
            "ours": {"build_s": build_s, **ours, "queries": args.queries},
            "ours_filtered_mean_query_ms": filtered["mean_query_ms"],
            "rank_bm25": {"build_s": reference_build_s, **reference_ms, "queries": len(theirs)},
            "speed_ratio": ratio,
            "bm25s": {
                "method": "robertson",
                "build_s": bm25s_build_s,
                **other,
                "filtered_mean_query_ms": other_filtered["mean_query_ms"],
                "queries": args.queries,
                **agreement,
            },
            "bm25s_speed_ratio": bm25s_ratio,
        },
    )


if __name__ == "__main__":
    main()
