"""Running the product's indexes over a set, and fusing their results for many fusion settings.

Each query is searched once per index (BM25, dense) to ``DEPTH`` hits. Hybrid rankings for
every setting of the grid are then fused from those hits exactly as ``HybridIndex.search``
fuses its candidates, which is far cheaper than searching again for each setting;
``mismatches`` checks that claim against the real ``HybridIndex``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from assistant.index_sync import hybrid_config
from assistant.settings import IndexSettings
from bench.retrieval.metrics import mean
from bench.retrieval.qrels import EvalSet, Query
from bench.retrieval.significance import gain_p_value
from indexes.embedder import Embedder
from indexes.hybrid import FusionConfig, HybridIndex, fuse, open_hybrid_index
from indexes.protocols import IndexedChunk, SearchHit

DEPTH = 100
"""Hits taken from each index: the largest candidate count of the grid, and deep enough to
leave ten distinct pages after merging chunks of one page."""

RRF_KS = (10, 30, 60)
CONVEX_ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CANDIDATES = (20, 50, 100)
COLLECTION = 1
SIGNIFICANCE_LEVEL = 0.05
"""A collection's own setting replaces the default only when its dev gain is this unlikely
under the sign-flip null (one-sided)."""


def fusion_grid() -> list[FusionConfig]:
    """Every fusion setting tried: RRF constants and convex weights, each with every
    candidate count."""
    rrf = [
        FusionConfig(method="rrf", rrf_k=k, candidates=n) for k, n in product(RRF_KS, CANDIDATES)
    ]
    convex = [
        FusionConfig(method="convex", convex_alpha=alpha, candidates=n)
        for alpha, n in product(CONVEX_ALPHAS, CANDIDATES)
    ]
    return rrf + convex


def describe(config: FusionConfig) -> str:
    """A short label such as ``rrf k=60 n=50`` or ``convex a=0.5 n=50``."""
    if config.method == "rrf":
        return f"rrf k={config.rrf_k} n={config.candidates}"
    return f"convex a={config.convex_alpha:g} n={config.candidates}"


def choose_shared(
    dev: Mapping[str, Mapping[str, float]], configs: Sequence[FusionConfig]
) -> FusionConfig:
    """The setting with the best dev nDCG@10 (``dev``: by label, then by set) averaged over
    the sets; the first of equals, and the grid lists smaller values first."""
    return max(configs, key=lambda config: mean(dev[describe(config)].values()))


def choose_own(
    dev: Mapping[str, Mapping[str, Sequence[float]]],
    configs: Sequence[FusionConfig],
    name: str,
    default: FusionConfig,
    level: float = SIGNIFICANCE_LEVEL,
) -> FusionConfig:
    """A collection's own setting: the one with the best mean dev nDCG@10 on set ``name``
    (``dev``: per-query nDCG@10 by label, then by set, queries in one order), unless the
    index-wide ``default`` does as well there, or the best one's gain over it is not
    significant at ``level`` (``gain_p_value``); then the collection needs no setting of its
    own. Among equals, the first."""
    best = max(configs, key=lambda config: mean(dev[describe(config)][name]))
    chosen, fallback = dev[describe(best)][name], dev[describe(default)][name]
    gains = [new - old for new, old in zip(chosen, fallback, strict=True)]
    return default if gain_p_value(gains) >= level else best


def fused_hits(
    bm25: Sequence[SearchHit], dense: Sequence[SearchHit], config: FusionConfig
) -> list[SearchHit]:
    """Hits with fused scores as ``HybridIndex.search`` ranks them for any
    ``k <= config.candidates``, given each index's hits to at least ``config.candidates``."""
    rankings = [list(bm25[: config.candidates]), list(dense[: config.candidates])]
    return fuse(rankings, config, k=sum(len(ranking) for ranking in rankings))


def fused_ranking(
    bm25: Sequence[SearchHit], dense: Sequence[SearchHit], config: FusionConfig
) -> list[int]:
    """The chunk ids of ``fused_hits``, best first."""
    return [hit.chunk_id for hit in fused_hits(bm25, dense, config)]


@dataclass(frozen=True)
class IndexRuns:
    """The built index and each index's hits per query id."""

    index: HybridIndex
    bm25: Mapping[str, list[SearchHit]]
    dense: Mapping[str, list[SearchHit]]

    def fused(self, config: FusionConfig) -> dict[str, list[int]]:
        return {
            query_id: fused_ranking(hits, self.dense[query_id], config)
            for query_id, hits in self.bm25.items()
        }

    def mismatches(self, config: FusionConfig, queries: Sequence[Query], k: int = 10) -> int:
        """Queries whose top ``k`` from ``HybridIndex.search`` with ``config`` differ from
        ``fused``'s; 0 means the offline fusion is faithful."""
        live = HybridIndex(self.index.bm25, self.index.dense, config)
        offline = self.fused(config)
        return sum(
            [hit.chunk_id for hit in live.search(query.text, k)] != offline[query.query_id][:k]
            for query in queries
        )


def run_indexes(
    eval_set: EvalSet,
    queries: Sequence[Query],
    embedder: Embedder,
    settings: IndexSettings,
    workdir: Path,
) -> IndexRuns:
    """Index the set's passages as the product would (``settings``, in a fresh directory
    under ``workdir``) and search every query in BM25 and dense mode."""
    index = open_hybrid_index(workdir / f"{eval_set.name}-index", hybrid_config(settings), embedder)
    index.add(
        [
            IndexedChunk(passage.passage_id, COLLECTION, passage.text)
            for passage in eval_set.passages
        ]
    )
    bm25 = {query.query_id: index.search(query.text, DEPTH, mode="bm25") for query in queries}
    dense = {query.query_id: index.search(query.text, DEPTH, mode="dense") for query in queries}
    return IndexRuns(index, bm25, dense)


def hit_ids(runs: Mapping[str, Sequence[SearchHit]]) -> dict[str, list[int]]:
    """Rankings as chunk ids, by query id."""
    return {query_id: [hit.chunk_id for hit in hits] for query_id, hits in runs.items()}
