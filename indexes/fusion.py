"""Fusing rankings from several indexes into one.

BM25 scores and cosine similarities live on unrelated scales, so they are only combined after
turning them into something comparable: ranks (reciprocal rank fusion, robust, the default)
or min-max normalised scores (convex fusion, which keeps how far apart the scores were).

Both functions return new ``SearchHit`` objects carrying the fused score and never touch the
input lists. A chunk listed twice in one ranking counts once, at its best position. Equal
fused scores are ordered by where a chunk first appears, scanning all rankings rank by rank
(first ranking first), so results are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from indexes.protocols import SearchHit


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[SearchHit]],
    k: int = 60,
    weights: Sequence[float] | None = None,
) -> list[SearchHit]:
    """Score each chunk by the sum over rankings of ``weight / (k + rank)``, rank from 1."""
    if k < 0:
        raise ValueError(f"RRF k must be >= 0, got {k}")
    factors = _checked_weights(rankings, weights)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, factors, strict=True):
        for rank, chunk_id in _first_positions(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank)
    return ordered_by_score(fused, rankings)


def convex_fusion(
    rankings: Sequence[Sequence[SearchHit]], weights: Sequence[float]
) -> list[SearchHit]:
    """Score each chunk by the weighted sum of its min-max normalised scores; a chunk absent
    from a ranking gets 0 from it, and a ranking whose scores are all equal gives each 1."""
    factors = _checked_weights(rankings, weights)
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, factors, strict=True):
        if not ranking:
            continue
        best = {hit.chunk_id: hit.score for hit in reversed(ranking)}
        scores = list(best.values())
        if not all(math.isfinite(score) for score in scores):
            raise ValueError("convex fusion needs finite scores")
        low, high = min(scores), max(scores)
        spread = high - low
        for chunk_id, score in best.items():
            normalised = (score - low) / spread if spread > 0 else 1.0
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * normalised
    return ordered_by_score(fused, rankings)


def _checked_weights(
    rankings: Sequence[Sequence[SearchHit]], weights: Sequence[float] | None
) -> list[float]:
    if weights is None:
        return [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    if not all(math.isfinite(weight) and weight >= 0 for weight in weights):
        raise ValueError(f"weights must be finite and >= 0, got {list(weights)}")
    return [float(weight) for weight in weights]


def _first_positions(ranking: Sequence[SearchHit]) -> list[tuple[int, int]]:
    """(rank from 1, chunk id) pairs, keeping each chunk's first position only."""
    seen: set[int] = set()
    positions: list[tuple[int, int]] = []
    for rank, hit in enumerate(ranking, start=1):
        if hit.chunk_id not in seen:
            seen.add(hit.chunk_id)
            positions.append((rank, hit.chunk_id))
    return positions


def ordered_by_score(
    fused: dict[int, float], rankings: Sequence[Sequence[SearchHit]]
) -> list[SearchHit]:
    """Hits by fused score, ties broken by the best position a chunk had in any ranking."""
    first_seen: dict[int, tuple[int, int]] = {}
    for list_number, ranking in enumerate(rankings):
        for rank, hit in enumerate(ranking):
            key = (rank, list_number)
            if hit.chunk_id not in first_seen or key < first_seen[hit.chunk_id]:
                first_seen[hit.chunk_id] = key
    order = sorted(fused, key=lambda chunk_id: (-fused[chunk_id], first_seen[chunk_id]))
    return [SearchHit(chunk_id=chunk_id, score=fused[chunk_id]) for chunk_id in order]
