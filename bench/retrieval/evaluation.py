"""Scoring rankings against a set's judgements, on a fixed split of its queries.

Fusion parameters are chosen on one half of each set's queries (dev) and reported on the
other (test), so the reported hybrid numbers are not flattered by the choice.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from bench.retrieval.metrics import mean, ndcg_at_k, ranked_units, recall_at_k
from bench.retrieval.qrels import Query

SPLIT_SEED = 20240611


@dataclass(frozen=True)
class Split:
    """The dev half (for choosing parameters) and the test half (for reporting)."""

    dev: tuple[Query, ...]
    test: tuple[Query, ...]


def split_queries(
    queries: Sequence[Query], limit: int | None = None, seed: int = SPLIT_SEED
) -> Split:
    """Queries shuffled with a fixed seed (after sorting by id, so the input order does not
    matter), optionally cut to ``limit``, then halved; dev gets the extra one of an odd count."""
    ordered = sorted(queries, key=lambda query: query.query_id)
    random.Random(seed).shuffle(ordered)
    if limit is not None:
        ordered = ordered[:limit]
    middle = (len(ordered) + 1) // 2
    return Split(tuple(ordered[:middle]), tuple(ordered[middle:]))


@dataclass(frozen=True)
class Scores:
    """Mean nDCG@k and Recall@k over ``queries`` queries."""

    ndcg: float
    recall: float
    queries: int


def score(
    rankings: Mapping[str, Sequence[int]],
    queries: Sequence[Query],
    unit_of: Mapping[int, Hashable],
    k: int = 10,
) -> Scores:
    """Mean metrics of ``rankings`` (passage ids by query id) over ``queries``.

    Passage ids become units and repeated units are dropped before cutting at ``k``, so a set
    judged by page is scored on ranked pages. A query missing from ``rankings`` scores 0.
    """
    ndcgs, recalls = _per_query(rankings, queries, unit_of, k)
    return Scores(mean(ndcgs), mean(recalls), len(queries))


def query_ndcgs(
    rankings: Mapping[str, Sequence[int]],
    queries: Sequence[Query],
    unit_of: Mapping[int, Hashable],
    k: int = 10,
) -> list[float]:
    """nDCG@k of each of ``queries`` in order, scored as ``score`` scores them, for paired
    comparisons of two rankings."""
    return _per_query(rankings, queries, unit_of, k)[0]


def _per_query(
    rankings: Mapping[str, Sequence[int]],
    queries: Sequence[Query],
    unit_of: Mapping[int, Hashable],
    k: int,
) -> tuple[list[float], list[float]]:
    ndcgs: list[float] = []
    recalls: list[float] = []
    for query in queries:
        units = ranked_units(rankings.get(query.query_id, ()), unit_of.__getitem__)
        ndcgs.append(ndcg_at_k(units, query.relevant, k))
        recalls.append(recall_at_k(units, query.relevant, k))
    return ndcgs, recalls


def mean_ranks(dev: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Each setting's rank on each set (1 + the number of settings strictly better there),
    averaged over the sets."""
    names = {name for by_set in dev.values() for name in by_set}
    return {
        label: mean(1 + sum(other[name] > by_set[name] for other in dev.values()) for name in names)
        for label, by_set in dev.items()
    }
