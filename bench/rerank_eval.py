"""Does re-scoring the best hybrid candidates with all-mpnet-base-v2 lift retrieval quality?

    python -m bench.rerank_eval [--data DIR] [--sets tatqa,pubmedqa,legalbench,financebench]
                                [--limit-queries N] [--pool 50] [--latency-queries 10]
                                [--cache DIR] [--model DIR]

The first stage is the product's hybrid search with its default fusion (``IndexSettings``),
widened to ``--pool`` candidates per index, whose best ``--pool`` fused candidates are then
re-scored by cosine similarity between the query and each passage embedded with
all-mpnet-base-v2 (a bi-encoder, 768 dimensions, about 7x the cost of MiniLM). The second
stage's weight against the first stage's fused score is chosen on the dev halves among
``WEIGHTS``: once for all sets (best mean nDCG@10), and per set, where a set takes its best
weight only when the dev gain over the default search is significant (the rule the retrieval
benchmark applies to per-collection fusion), as a collection's ``second_stage_weight`` would be
set. Where a set takes one, mpnet alone over all its passages is reported too: the single-index
baseline of that configuration.

A collection can set both its own fusion and a second stage, so its setting is also chosen
jointly: among the default fusion and the set's own fusion setting (chosen on its dev half by
the retrieval benchmark's rule, ``choose_own``), each without a second stage or with any of
``WEIGHTS``, the best on the dev half, kept only when its gain over the default search is
significant. The second stage then re-scores the best ``--pool`` of that setting's fused list,
as the product's search takes them. Numbers are reported on the test halves, with the same
splits and judgements as ``bench.retrieval_eval``.

Latency is timed per query on test queries, on the CPU: embedding the query alone (the cost
when passages are embedded by both models at ingestion) and embedding the query and its
candidates (the cost when they are not). Embeddings for the quality figures are cached on
disk like the retrieval benchmark's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.collection_settings import index_fusion
from assistant.settings import Settings
from bench.common import eval_data_dir, latency_ms, print_table, write_result
from bench.retrieval.corpora import SET_NAMES, load_set, project_chunker
from bench.retrieval.embedding_cache import EmbeddingCache, default_cache_dir
from bench.retrieval.evaluation import (
    SPLIT_SEED,
    Scores,
    Split,
    query_ndcgs,
    score,
    split_queries,
)
from bench.retrieval.methods import (
    SIGNIFICANCE_LEVEL,
    IndexRuns,
    choose_own,
    describe,
    fused_hits,
    fusion_grid,
    run_indexes,
)
from bench.retrieval.metrics import mean
from bench.retrieval.qrels import EvalSet, Query
from bench.retrieval.rerank import choose_setting
from indexes.embedder import Embedder, SentenceTransformerEmbedder
from indexes.hybrid import FusionConfig
from indexes.mpnet_package import assemble_model, part_files
from indexes.protocols import SearchHit
from indexes.second_stage import rescore

WEIGHTS = (0.25, 0.5, 0.75, 1.0)
"""Weights of the second stage tried on the dev halves; 1 ranks by mpnet alone."""


@dataclass
class SetRerank:
    """One set's first-stage candidates and both models' rankings."""

    eval_set: EvalSet
    split: Split
    default: dict[str, list[int]]
    pools: dict[str, list[SearchHit]]
    own_config: FusionConfig
    own: dict[str, list[int]]
    own_pools: dict[str, list[SearchHit]]
    second: dict[str, dict[int, float]]
    vectors: dict[int, np.ndarray]
    second_model: EmbeddingCache
    query_vectors: dict[str, np.ndarray]

    def scores(self, rankings: Mapping[str, Sequence[int]], queries: Sequence[Query]) -> Scores:
        return score(rankings, queries, self.eval_set.unit_by_passage())

    def reranked(self, weight: float, own: bool = False) -> dict[str, list[int]]:
        """Rankings with the second stage at ``weight`` over the default search's candidates,
        or with ``own`` over those of the set's own fusion setting."""
        pools = self.own_pools if own else self.pools
        return {
            q: [hit.chunk_id for hit in rescore(pool, self.second[q], weight)]
            for q, pool in pools.items()
        }

    def pool_ids(self) -> dict[str, list[int]]:
        return {q: [hit.chunk_id for hit in pool] for q, pool in self.pools.items()}

    def second_alone(self, queries: Sequence[Query], depth: int = 100) -> dict[str, list[int]]:
        """The second model alone over every passage of the set (exact cosine search): the
        single-index baseline of a collection that uses it."""
        passages = self.eval_set.passages
        matrix = self.second_model.encode([p.text for p in passages])
        ids = np.array([p.passage_id for p in passages])
        rankings = {}
        for query in queries:
            similarity = matrix @ self.query_vectors[query.query_id]
            rankings[query.query_id] = ids[np.argsort(-similarity, kind="stable")[:depth]].tolist()
        return rankings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--sets", default=",".join(SET_NAMES))
    parser.add_argument("--limit-queries", type=int, default=None, help="queries per set")
    parser.add_argument("--pool", type=int, default=50, help="candidates re-scored per query")
    parser.add_argument("--latency-queries", type=int, default=10, help="timed, per set")
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    parser.add_argument("--model", type=Path, default=None, help="all-mpnet-base-v2 folder")
    args = parser.parse_args()
    names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SET_NAMES))
    if unknown:
        sys.exit(f"unknown sets {unknown}; choose from {', '.join(SET_NAMES)}")
    if args.pool <= 0:
        sys.exit("--pool must be positive")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    settings = Settings()
    data = eval_data_dir(args.data or settings.eval_data)
    model_dir = args.model or assemble_model(part_files(), args.cache / "models")
    second_model = SentenceTransformerEmbedder(model_dir, batch_size=16)
    first_config = index_fusion(settings.index)
    pool_config = replace(first_config, candidates=max(first_config.candidates, args.pool))
    with tempfile.TemporaryDirectory(prefix="rerank-eval-") as workdir:
        runs = [
            _run_set(name, data, settings, args, second_model, model_dir, pool_config, workdir)
            for name in names
        ]
    latency = _latency(runs, second_model, args.latency_queries)
    payload = _report(runs, first_config, pool_config, args.pool, latency)
    path = write_result("rerank", payload)
    print(f"\nwritten to {path}")


def _run_set(
    name: str,
    data: Path,
    settings: Settings,
    args: argparse.Namespace,
    second_model: Embedder,
    model_dir: Path,
    pool_config: FusionConfig,
    workdir: str,
) -> SetRerank:
    from bench.retrieval_eval import model_path_of

    print(f"[{name}] loading", file=sys.stderr, flush=True)
    eval_set = load_set(name, data, project_chunker(settings.ingest))
    split = split_queries(eval_set.queries, args.limit_queries)
    queries = [*split.dev, *split.test]
    configured = settings.index.embedding_model
    first_model = EmbeddingCache(
        args.cache,
        name,
        SentenceTransformerEmbedder(Path(configured) if configured else None),
        model_path_of(configured),
    )
    first_model.encode([p.text for p in eval_set.passages] + [q.text for q in queries])
    runs = run_indexes(eval_set, queries, first_model, settings.index, Path(workdir))
    default_config = index_fusion(settings.index)
    default = {
        q.query_id: [
            hit.chunk_id
            for hit in fused_hits(runs.bm25[q.query_id], runs.dense[q.query_id], default_config)
        ]
        for q in queries
    }
    pools = {
        q.query_id: fused_hits(runs.bm25[q.query_id], runs.dense[q.query_id], pool_config)[
            : args.pool
        ]
        for q in queries
    }
    own_config = _own_fusion(eval_set, split, runs, default_config)
    own_hits = {
        q.query_id: fused_hits(runs.bm25[q.query_id], runs.dense[q.query_id], own_config)
        for q in queries
    }
    own = {q: [hit.chunk_id for hit in hits] for q, hits in own_hits.items()}
    own_pools = {q: hits[: args.pool] for q, hits in own_hits.items()}
    text_of = {p.passage_id: p.text for p in eval_set.passages}
    needed = sorted(
        {hit.chunk_id for each in (pools, own_pools) for pool in each.values() for hit in pool}
    )
    print(
        f"[{name}] {len(queries)} queries, own fusion {describe(own_config)}, "
        f"{len(needed)} passages to embed with {model_dir.name}",
        file=sys.stderr,
        flush=True,
    )
    cache = EmbeddingCache(args.cache, name, second_model, model_dir)
    vectors = cache.encode([text_of[i] for i in needed] + [q.text for q in queries])
    passage_row = {chunk_id: row for row, chunk_id in enumerate(needed)}
    query_vectors = vectors[len(needed) :]
    second = {
        q.query_id: {
            hit.chunk_id: float(vectors[passage_row[hit.chunk_id]] @ query_vectors[n])
            for hit in [*pools[q.query_id], *own_pools[q.query_id]]
        }
        for n, q in enumerate(queries)
    }
    by_id = {chunk_id: vectors[row] for chunk_id, row in passage_row.items()}
    asked = {q.query_id: query_vectors[n] for n, q in enumerate(queries)}
    return SetRerank(
        eval_set, split, default, pools, own_config, own, own_pools, second, by_id, cache, asked
    )


def _own_fusion(
    eval_set: EvalSet, split: Split, runs: IndexRuns, default: FusionConfig
) -> FusionConfig:
    """The set's own fusion setting, chosen on its dev half as the retrieval benchmark
    chooses it (``choose_own``), or ``default`` where none pays."""
    unit_of = eval_set.unit_by_passage()
    grid = fusion_grid()
    dev = {
        describe(config): {eval_set.name: query_ndcgs(runs.fused(config), split.dev, unit_of)}
        for config in grid
    }
    return choose_own(dev, grid, eval_set.name, default)


def _latency(
    runs: Sequence[SetRerank], model: SentenceTransformerEmbedder, per_set: int
) -> dict[str, dict[str, float]]:
    """Per-query seconds of the second stage on test queries, without any cache."""
    model.warm_up()
    query_only: list[float] = []
    with_passages: list[float] = []
    for run in runs:
        text_of = {p.passage_id: p.text for p in run.eval_set.passages}
        for query in run.split.test[:per_set]:
            pool = run.pools[query.query_id]
            ids = [hit.chunk_id for hit in pool]
            stored = np.stack([run.vectors[chunk_id] for chunk_id in ids])
            start = time.perf_counter()
            asked = model.encode([query.text])[0]
            rescore(pool, dict(zip(ids, (stored @ asked).tolist(), strict=True)), 1.0)
            query_only.append(time.perf_counter() - start)
            start = time.perf_counter()
            asked = model.encode([query.text])[0]
            embedded = model.encode([text_of[chunk_id] for chunk_id in ids])
            rescore(pool, dict(zip(ids, (embedded @ asked).tolist(), strict=True)), 1.0)
            with_passages.append(time.perf_counter() - start)
    return {
        "query only (candidates embedded at ingestion)": latency_ms(query_only),
        "query and candidates": latency_ms(with_passages),
    }


def _dev_per_query(
    run: SetRerank, own: bool = False
) -> tuple[dict[float, list[float]], list[float]]:
    """Per-query dev nDCG@10 of each weight, and of the search without a second stage: the
    default one, or with ``own`` the set's own fusion."""
    unit_of = run.eval_set.unit_by_passage()
    dev = {
        weight: query_ndcgs(run.reranked(weight, own), run.split.dev, unit_of) for weight in WEIGHTS
    }
    return dev, query_ndcgs(run.own if own else run.default, run.split.dev, unit_of)


def _with_weight(
    run: SetRerank, weight: float | None, own: bool = False
) -> Mapping[str, Sequence[int]]:
    if weight is None:
        return run.own if own else run.default
    return run.reranked(weight, own)


JointSetting = tuple[bool, float | None]
"""Whether the set's own fusion setting is used (else the default), and the second-stage
weight (None: no second stage)."""


def _joint_candidates(
    default: tuple[dict[float, list[float]], list[float]],
    own: tuple[dict[float, list[float]], list[float]],
) -> dict[JointSetting, list[float]]:
    """Per-query dev nDCG@10 of every pair of first stage (default or own fusion) and
    second-stage weight (or none), from ``_dev_per_query`` of each first stage."""
    candidates: dict[JointSetting, list[float]] = {(True, None): own[1]}
    for own_fusion, (by_weight, _) in ((False, default), (True, own)):
        candidates |= {(own_fusion, weight): scores for weight, scores in by_weight.items()}
    return candidates


def _joint_ranking(run: SetRerank, setting: JointSetting | None) -> Mapping[str, Sequence[int]]:
    if setting is None:
        return run.default
    own_fusion, weight = setting
    return _with_weight(run, weight, own_fusion)


def _second_stage_of(setting: JointSetting | None) -> bool:
    return setting is not None and setting[1] is not None


def _joint_label(setting: JointSetting | None, own_fusion: str) -> str:
    if setting is None:
        return "default search"
    fusion = own_fusion if setting[0] else "default fusion"
    weight = "no second stage" if setting[1] is None else f"second stage {setting[1]:g}"
    return f"{fusion}, {weight}"


def _report(
    runs: Sequence[SetRerank],
    first_config: FusionConfig,
    pool_config: FusionConfig,
    pool: int,
    latency: Mapping[str, Mapping[str, float]],
) -> dict[str, Any]:
    names = [run.eval_set.name for run in runs]
    dev = {
        weight: mean(run.scores(run.reranked(weight), run.split.dev).ndcg for run in runs)
        for weight in WEIGHTS
    }
    chosen = max(WEIGHTS, key=lambda weight: dev[weight])
    per_query = {run.eval_set.name: _dev_per_query(run) for run in runs}
    own = {
        name: choose_setting(dev, without, SIGNIFICANCE_LEVEL)
        for name, (dev, without) in per_query.items()
    }
    per_query_own = {run.eval_set.name: _dev_per_query(run, own=True) for run in runs}
    joint = {
        name: choose_setting(
            _joint_candidates(per_query[name], per_query_own[name]),
            per_query[name][1],
            SIGNIFICANCE_LEVEL,
        )
        for name in names
    }
    methods = {
        f"hybrid ({describe(first_config)}, default)": lambda run: run.default,
        f"hybrid ({describe(pool_config)}), first {pool}": lambda run: run.pool_ids(),
        f"mpnet alone on the {pool}": lambda run: run.reranked(1.0),
        f"mpnet weight {chosen:g} on the {pool} (dev choice)": lambda run: run.reranked(chosen),
        "per collection (dev choice, p < 0.05, else the default)": lambda run: _with_weight(
            run, own[run.eval_set.name]
        ),
        "hybrid, per-collection fusion": lambda run: run.own,
        "per collection, fusion and second stage chosen together": lambda run: _joint_ranking(
            run, joint[run.eval_set.name]
        ),
    }
    test: dict[str, dict[str, Scores]] = {
        method: {run.eval_set.name: run.scores(ranking(run), run.split.test) for run in runs}
        for method, ranking in methods.items()
    }
    alone = {
        run.eval_set.name: run.scores(run.second_alone(run.split.test), run.split.test)
        for run in runs
        if own[run.eval_set.name] is not None or _second_stage_of(joint[run.eval_set.name])
    }
    dev_by_set = {
        name: {str(weight): mean(values) for weight, values in dev.items()}
        | {"without": mean(without)}
        for name, (dev, without) in per_query.items()
    }
    dev_by_set_own = {
        name: {str(weight): mean(values) for weight, values in dev.items()}
        | {"without": mean(without)}
        for name, (dev, without) in per_query_own.items()
    }
    own_fusion = {run.eval_set.name: describe(run.own_config) for run in runs}
    joint_labels = {name: _joint_label(choice, own_fusion[name]) for name, choice in joint.items()}
    ceiling = {
        run.eval_set.name: mean(
            float(
                bool(
                    query.relevant
                    & {run.eval_set.unit_by_passage()[i] for i in run.pool_ids()[query.query_id]}
                )
            )
            for query in run.split.test
        )
        for run in runs
    }
    print()
    print(f"Second stage on the test halves (seed {SPLIT_SEED}); nDCG@10 / Recall@10.")
    print(f"mpnet weight chosen on the dev halves: {chosen:g} (dev mean nDCG@10 {dev})")
    print(f"per collection: {own} (None: no second stage)")
    print(f"own fusion: {own_fusion}; fusion and second stage together: {joint_labels}")
    print()
    rows: list[list[Any]] = [
        [
            method,
            *(f"{by_set[name].ndcg:.3f} / {by_set[name].recall:.3f}" for name in names),
            f"{mean(by_set[name].ndcg for name in names):.3f}",
        ]
        for method, by_set in test.items()
    ]
    rows.append(
        [
            "mpnet alone over the whole set (where chosen)",
            *(f"{alone[n].ndcg:.3f} / {alone[n].recall:.3f}" if n in alone else "-" for n in names),
            "",
        ]
    )
    rows.append(
        [
            f"queries with a relevant unit in the first {pool}",
            *(f"{ceiling[n]:.3f}" for n in names),
            "",
        ]
    )
    print_table(["method", *names, "mean nDCG@10"], rows)
    print()
    for what, figures in latency.items():
        print(
            f"second stage, {what}: p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms"
        )
    return {
        "protocol": {
            "split_seed": SPLIT_SEED,
            "first_stage": asdict(first_config),
            "pool": asdict(pool_config),
            "second_stage": "all-mpnet-base-v2 cosine, min-max mixed with the fused score",
            "weights": list(WEIGHTS),
            "tuned_on": "dev halves, best mean nDCG@10 over the sets",
            "latency_threads": os.cpu_count(),
        },
        "queries": {
            run.eval_set.name: {"dev": len(run.split.dev), "test": len(run.split.test)}
            for run in runs
        },
        "dev_mean_ndcg_by_weight": {str(weight): value for weight, value in dev.items()},
        "chosen_weight": chosen,
        "own_weight": own,
        "dev_ndcg_by_set": dev_by_set,
        "own_fusion": own_fusion,
        "own_setting_fusion_and_second_stage": joint_labels,
        "dev_ndcg_by_set_with_own_fusion": dev_by_set_own,
        "test": {
            method: {name: asdict(value) for name, value in by_set.items()}
            for method, by_set in test.items()
        },
        "test_second_alone_whole_set": {name: asdict(value) for name, value in alone.items()},
        "test_pool_hit_rate": ceiling,
        "latency": latency,
    }


if __name__ == "__main__":
    main()
