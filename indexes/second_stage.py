"""A second stage: the best fused candidates re-ordered with a larger embedding model.

On the evaluation sets (``bench/rerank_eval.py``, figures in docs/results.md), re-scoring the
best 50 fused candidates with all-mpnet-base-v2, chosen per collection together with its fusion
setting, paid on contracts and on annual-report tables over their own fusion settings, and not
on filings' pages; it costs ingestion time and a second query embedding, so it is a
per-collection option, off by default. The candidates' vectors of the
larger model are stored at ingestion in a second dense index, so a search only embeds the query
once more; embedding the candidates per query would take seconds.

The new order follows a convex sum of the two scores, each min-max normalised over the
candidates: weight 1 ranks by the second model alone, smaller weights keep some of the first
stage's evidence (notably BM25's exact terms, which a bi-encoder blurs). Ties keep the first
stage's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from indexes.protocols import SearchHit


def rescore(
    candidates: Sequence[SearchHit], second: Mapping[int, float], weight: float
) -> list[SearchHit]:
    """``candidates`` re-ordered by ``weight`` x normalised second score plus ``1 - weight``
    x normalised first-stage score, which becomes their score; every candidate needs a second
    score."""
    if not 0 <= weight <= 1:
        raise ValueError(f"weight must lie in [0, 1], got {weight}")
    missing = [hit.chunk_id for hit in candidates if hit.chunk_id not in second]
    if missing:
        raise ValueError(f"no second-stage score for candidates {missing[:5]}")
    first = _minmax([hit.score for hit in candidates])
    new = _minmax([second[hit.chunk_id] for hit in candidates])
    combined = [weight * n + (1 - weight) * f for n, f in zip(new, first, strict=True)]
    order = sorted(range(len(candidates)), key=lambda i: (-combined[i], i))
    return [SearchHit(candidates[i].chunk_id, combined[i]) for i in order]


def _minmax(values: Sequence[float]) -> list[float]:
    if not values:
        return []
    low, high = min(values), max(values)
    spread = high - low
    return [(value - low) / spread if spread > 0 else 1.0 for value in values]
